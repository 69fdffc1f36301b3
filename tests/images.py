"""Test files made on the spot: photos with GPS in their EXIF, and files that only pretend."""

import io

from PIL import Image

GPS_IFD = 0x8825


def jpeg(*, gps: bool = True, size: tuple[int, int] = (64, 48), color: str = "red") -> bytes:
    """A JPEG whose EXIF says where it was taken (as phones write it) and who made the camera."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"  # Make
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 50.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(size: tuple[int, int] = (32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 128)).save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200  # a Windows program renamed .jpg
HTML_AS_JPEG = b"<html><script>alert(1)</script></html>"


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(GPS_IFD)) or "exif" in image.info
