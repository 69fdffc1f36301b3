"""Photos and files of any record, checked by their content and stored behind a BlobStore
(the database today); each owning domain says who may read its attachments (the owners
liaison/wiring.py lists). Imports no other domain."""
