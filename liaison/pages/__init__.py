"""The HTML pages, one module per domain, as liaison/api holds the JSON: thin routes that read a
form or a filter, call the domain's service or query, and render its templates. They sit over
every domain because a page shows across them (a project's page carries its hazards, disputes,
requests and recoveries; every page asks liaison.auth who is looking), so no domain imports a
page and no domain package imports another that imports it back. What they share (rendering,
forms, lists, downloads) is in liaison/web.py, liaison/forms.py, liaison/listing.py and
liaison/downloads.py."""
