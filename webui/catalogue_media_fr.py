"""French texts of the voicemail and audio tabs (webui/voicemail.py, webui/audio.py), merged
into catalogue_fr's FRENCH and PROBLEMS_FR."""
import re

MEDIA_FR = {
    # audio files (Melodies, Announcements)
    "Music on hold": "Musique d'attente",
    "Ringback tones": "Tonalités d'appel",
    "Name": "Nom",
    "File": "Fichier",
    "Upload": "Envoyer",
    "Duration": "Durée",
    "Used by": "Utilisé par",
    "Listen": "Écouter",
    "Download": "Télécharger",
    "Delete": "Supprimer",
    "Selected": "Choisie",
    "Select": "Choisir",
    "Ringback tone": "Tonalité d'appel",
    "Announcements": "Annonces",
    "No file yet: the platform's default is used.":
        "Aucun fichier : celui de la plateforme est utilisé.",
    "No ringback tone yet: callers hear their phone's usual ring tone.":
        "Aucune tonalité : les appelants entendent la sonnerie habituelle de leur téléphone.",
    "No announcement yet.": "Aucune annonce.",
    "WAV or MP3, at most 4 MB, at most 10 files of each kind. The file is recognised by its "
    "content, converted once to what calls play (8 kHz mono, levelled).":
        "WAV ou MP3, 4 Mo au plus, 10 fichiers au plus par type. Le fichier est reconnu par "
        "son contenu et converti une fois pour les appels (8 kHz mono, niveau ajusté).",
    "The file was added.": "Le fichier a été ajouté.",
    "The file was deleted.": "Le fichier a été supprimé.",
    "This music is now played to held parties.":
        "Cette musique est maintenant diffusée aux correspondants en attente.",
    "Choose a file to upload.": "Choisissez un fichier à envoyer.",
    "Give the file a name.": "Donnez un nom au fichier.",
    # voicemail
    "Mailboxes": "Boîtes vocales",
    "Mode": "Mode",
    "Language of the prompts": "Langue des messages",
    "E-mail (voice-to-mail)": "E-mail (message vocal par e-mail)",
    "PIN": "Code secret",
    "PIN again": "Code secret (confirmation)",
    "Greeting": "Message d'accueil",
    "Messages": "Messages",
    "new": "nouveaux",
    "Edit": "Modifier",
    "enabled": "activée",
    "greeting_only": "message d'accueil seul",
    "disabled": "désactivée",
    "set": "défini",
    "not set": "non défini",
    "default": "par défaut",
    "Remove the greeting (use the default one)":
        "Supprimer le message (utiliser celui par défaut)",
    "4 digits, entered twice; leave empty to keep the current PIN.":
        "4 chiffres, saisis deux fois ; laisser vide pour garder le code actuel.",
    "locked until {until}": "bloquée jusqu'à {until}",
    "The mailbox was saved.": "La boîte vocale a été enregistrée.",
}

_P = re.compile
MEDIA_PROBLEMS_FR = [
    (_P(r"not a WAV or MP3 file .*"),
     "ce n'est pas un fichier WAV ou MP3 (d'après son contenu, quel que soit son nom)"),
    (_P(r"the file is (?P<a>[\d.]+) MB: at most 4 MB is accepted"),
     "le fichier fait {a} Mo : 4 Mo au plus sont acceptés"),
    (_P(r"the file is empty"), "le fichier est vide"),
    (_P(r"the file cannot be decoded as audio.*"),
     "le fichier ne peut pas être lu comme du son (endommagé, ou pas vraiment WAV/MP3)"),
    (_P(r"at most 10 files of each kind.*"), "10 fichiers au plus par type"),
    (_P(r"the two PINs differ"), "les deux codes sont différents"),
    (_P(r"a PIN of .* is too easy to guess; choose another"),
     "ce code est trop facile à deviner ; choisissez-en un autre"),
    (_P(r'must be 4 digits in quotes.*'), "doit comporter 4 chiffres"),
    (_P(r"the voicemail of (?P<a>\S+) cannot be disabled: (?P<b>.+) sends calls to it"),
     "la boîte vocale du {a} ne peut pas être désactivée : {b} lui envoie des appels"),
    (_P(r"the voicemail of (?P<a>\S+) is disabled: it cannot be a destination"),
     "la boîte vocale du {a} est désactivée : elle ne peut pas être une destination"),
    (_P(r"(?P<a>.+) cannot be deleted: (?P<b>.+) uses it"),
     "{a} ne peut pas être supprimé : utilisé par {b}"),
    (_P(r"must be an e-mail address.*"), "doit être une adresse e-mail"),
]
