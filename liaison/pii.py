"""Masking of personal data for display (GB/T 35273): 138****1234, 张*."""


def mask_phone(phone: str | None) -> str:
    """Keep the first three and last four characters of a phone number; hide the rest."""
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * (len(phone) - 2) + phone[-2:] if len(phone) > 2 else "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else name
