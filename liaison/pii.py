"""Personal data for display (GB/T 35273): masked phones (138****1234) and ID numbers, and the
ID number check."""


def mask_phone(phone: str | None) -> str:
    """Keep the first three and last four characters of a phone number; hide the rest."""
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * (len(phone) - 2) + phone[-2:] if len(phone) > 2 else "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


def id_number_error(number: str) -> str | None:
    """Why an 18-digit resident ID number (GB 11643) is not valid, or None."""
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        return "身份证号应为 18 位，末位可为 X"
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17]:
        return "身份证号校验位不正确"
    return None


def mask_id(number: str | None) -> str:
    """110***********123X: the region and the last four stay."""
    if not number:
        return ""
    return (
        number[:3] + "*" * (len(number) - 7) + number[-4:] if len(number) > 7 else "*" * len(number)
    )
