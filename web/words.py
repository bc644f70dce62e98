"""The words of the portal's frame: header, navigation, sign-in, errors (see `i18n`)."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "portal": ("Fondsportaal", "Fund portal"),
    "sign_in": ("Inloggen", "Sign in"),
    "sign_out": ("Uitloggen", "Sign out"),
    "username": ("Gebruikersnaam", "User name"),
    "password": ("Wachtwoord", "Password"),
    "signed_in_as": ("Ingelogd als {name}", "Signed in as {name}"),
    "language": ("Taal", "Language"),
    "language_nl": ("Nederlands", "Nederlands"),
    "language_en": ("English", "English"),
    "main_navigation": ("Hoofdnavigatie", "Main navigation"),
    "skip_to_content": ("Naar de inhoud", "Skip to content"),
    "sign_in_failed": (
        "Gebruikersnaam of wachtwoord onjuist.",
        "User name or password incorrect.",
    ),
    "sign_in_throttled": (
        "Te veel mislukte pogingen. Probeer het over een kwartier opnieuw.",
        "Too many failed attempts. Try again in a quarter of an hour.",
    ),
    "signed_out": ("U bent uitgelogd.", "You have signed out."),
    "session_expired": (
        "Het formulier was verlopen. Probeer het opnieuw.",
        "The form had expired. Please try again.",
    ),
    "error_403": (
        "U heeft geen toegang tot deze pagina.",
        "You do not have access to this page.",
    ),
    "error_404": ("Deze pagina bestaat niet.", "This page does not exist."),
    "error_400": ("Dit verzoek klopt niet: {reason}", "This request is not valid: {reason}"),
    "error_title": ("Fout {status}", "Error {status}"),
    "nav_admin": ("Overzicht en waarschuwingen", "Dashboard and warnings"),
    "nav_controller": ("Financiers en exports", "Funders and exports"),
    "back_home": ("Naar het begin", "Back to the start"),
}
