"""French texts of the UI, keyed by the English text (see i18n). The wording follows the
carrier's guide (seed/virtual-pbx-guide-fr.txt) wherever it has one."""
import re

FRENCH = {
    # caller ID presentation
    "Without a rule, a user's external calls show their direct number, or the company's main "
    "number if they have none.":
        "Sans règle, les appels externes d'un utilisateur affichent son numéro direct, ou le "
        "numéro principal de l'entreprise s'il n'en a pas.",
    "Number shown": "Numéro affiché", "Add a rule": "Ajouter une règle",
    # company directory
    "Short number": "Numéro court", "Add a contact": "Ajouter un contact", "Add": "Ajouter",
    "Import from a CSV file": "Importer un fichier CSV", "Import": "Importer",
    "user": "utilisateur", "Choose a CSV file.": "Choisissez un fichier CSV.",
    "The file is larger than 1 MB.": "Le fichier dépasse 1 Mo.",
    "The file is not UTF-8 text.": "Le fichier n'est pas du texte UTF-8.",
    "Nothing was imported:": "Rien n'a été importé :",
    "{n} contacts imported.": "{n} contacts importés.",
    "One contact per line: name, number, short number (optional). If a line is wrong, nothing "
    "is imported and every wrong line is listed.":
        "Un contact par ligne : nom, numéro, numéro court (facultatif). Si une ligne est "
        "fausse, rien n'est importé et chaque ligne fausse est indiquée.",
    "Phones load this directory from {url} with their SIP user name and password.":
        "Les téléphones chargent cet annuaire depuis {url} avec leur nom d'utilisateur et mot "
        "de passe SIP.",
    # call records
    "Call records": "Décompte détaillé",
    "Every call of your users and to your numbers: when, who, for how long, and how it ended. "
    "Calls between subscribers of the platform are free (on-net).":
        "Chaque appel de vos utilisateurs et vers vos numéros : quand, qui, combien de temps, et "
        "comment il s'est terminé. Les appels entre abonnés de la plateforme sont gratuits.",
    "From": "Du", "To": "Au", "Outcome": "Résultat", "All": "Tous", "Filter": "Filtrer",
    "Export as CSV": "Exporter en CSV", "Start": "Début", "Caller": "Appelant",
    "Dialled": "Numéro composé", "Answered by": "Répondu par", "Duration": "Durée",
    "Network": "Réseau", "in progress": "en cours", "on-net (free)": "sur le réseau (gratuit)",
    "external": "externe", "No call matches.": "Aucun appel ne correspond.",
    "answered": "répondu", "missed": "manqué", "busy": "occupé", "failed": "échoué",
    "voicemail": "messagerie", "User": "Utilisateur", "Group": "Groupe",
    # accounts and sign-in
    "Too many failed attempts: signing in is blocked for {n} minutes.":
        "Trop d'essais infructueux : la connexion est bloquée pendant {n} minutes.",
    "Wrong login or password.": "Identifiant ou mot de passe incorrect.",
    "This is not your current password.": "Ce n'est pas votre mot de passe actuel.",
    "Your password was changed; your other sessions were closed.":
        "Votre mot de passe a été changé ; vos autres sessions ont été fermées.",
    "Give the token a name.": "Donnez un nom au jeton.",
    "The token was revoked.": "Le jeton a été révoqué.",
    "must be at least 10 characters": "doit comporter au moins 10 caractères",
    "the two passwords differ": "les deux mots de passe sont différents",
    "My account": "Mon compte",
    "Platform operator": "Opérateur de la plateforme",
    "Administrator of {name}": "Administrateur de {name}",
    "Password": "Mot de passe",
    "Current password": "Mot de passe actuel",
    "New password": "Nouveau mot de passe",
    "At least 10 characters.": "Au moins 10 caractères.",
    "Confirm the new password": "Confirmez le nouveau mot de passe",
    "Change the password": "Changer le mot de passe",
    "API tokens": "Jetons d'API",
    "Scripts use the JSON API (/api/v1, described at /api/v1/openapi.json) with a token, sent "
    "as the header Authorization: Bearer TOKEN. A token acts as you.":
        "Les scripts utilisent l'API JSON (/api/v1, décrite par /api/v1/openapi.json) avec un "
        "jeton, envoyé dans l'en-tête Authorization: Bearer JETON. Un jeton agit en votre nom.",
    "Your new token (copy it now: it is not shown again):":
        "Votre nouveau jeton (copiez-le maintenant : il ne sera plus affiché) :",
    "Name": "Nom",
    "Created": "Créé le",
    "Last used": "Dernière utilisation",
    "Revoke": "Révoquer",
    "New token's name": "Nom du nouveau jeton",
    "Create a token": "Créer un jeton",
    "Expires": "Expire le", "never": "jamais", "expired on {date}": "expiré le {date}",
    "Valid for": "Validité", "1 year": "1 an", "{n} days": "{n} jours",
    "no expiry": "sans expiration",
    "After that, the API refuses the token; make a new one.":
        "Ensuite, l'API refuse le jeton ; créez-en un nouveau.",
    "Choose how long the token is valid.": "Choisissez combien de temps le jeton est valable.",
    "e.g. provisioning script": "ex. : script de provisionnement",
    "Sign in": "Se connecter",
    "Manage your Virtual PBX": "Gérer votre Virtual PBX",
    "Login": "Identifiant",
    "Sign out": "Se déconnecter",

    # layout and common
    "Platform": "Plateforme",
    "Close this tenant": "Fermer ce client",
    "Sections": "Rubriques",
    "Activity monitor": "Moniteur d'activité",
    "Numbers": "Numéros",
    "Time ranges": "Plages horaires",
    "Groups": "Groupes",
    "Users": "Utilisateurs",
    "Voicemail": "Boîte vocale",
    "Outgoing calls": "Appels sortants",
    "Melodies": "Mélodies",
    "Announcements": "Annonces",
    "Directory": "Annuaire",
    "Call preview": "Aperçu d'appel",
    "Not found": "Introuvable",
    "This page does not exist, or is not yours.": "Cette page n'existe pas, ou ne vous appartient pas.",
    "The form has expired": "Le formulaire a expiré",
    "Go back, reload the page and send the form again.":
        "Revenez en arrière, rechargez la page et envoyez à nouveau le formulaire.",
    "Error": "Erreur",
    "The request could not be handled.": "La demande n'a pas pu être traitée.",
    "Home": "Accueil",
    "Nothing to change.": "Rien à modifier.",
    "Saved.": "Enregistré.",
    "Deleted.": "Supprimé.",
    "The changes were not saved:": "Les modifications n'ont pas été enregistrées :",
    "The changes were not saved: see the fields marked below.":
        "Les modifications n'ont pas été enregistrées : voyez les champs signalés ci-dessous.",
    "Reminder: every call to a number outside your company must start with a 0 (e.g. "
    "00224561231).":
        "Rappel : tout appel vers un numéro hors de votre entreprise, doit être précédé d'un 0 "
        "(ex : 00224561231).",
    "Announcement (not available yet)": "Annonce (pas encore disponible)",
    "Configure": "Configurer",
    "Print": "Imprimer",
    "Delete": "Supprimer",
    "Delete {what}?": "Supprimer {what} ?",
    "e.g. 021 721 11 12": "ex. : 021 721 11 12",
    "External number": "Numéro externe",
    "Week timeline": "Semaine en image",
    "Save": "Enregistrer",
    "Cancel": "Annuler",
    "Search": "Rechercher",
    "Label": "Intitulé",
    "Edit": "Editer",
    "Add": "Ajouter",
    "Yes": "Oui",
    "No": "Non",
    "none": "aucun",
    "required": "obligatoire",
    "Not available yet.": "Pas encore disponible.",

    # destinations
    "Voicemail of {number}": "Boîte vocale du {number}",
    "Forward to a number…": "Dévier vers un numéro…",
    "End the call": "Mettre fin à l'appel",
    "Other": "Autre",
    "group {name} ({short})": "groupe « {name} » ({short})",
    "group {name}": "groupe « {name} »",
    "voicemail of {number}": "boîte vocale du {number}",
    "external number {number}": "numéro externe {number}",
    "announcement {name}": "annonce « {name} »",
    "end the call": "mettre fin à l'appel",
    "loop: this group was already tried": "boucle : ce groupe a déjà été essayé",
    "unknown group": "groupe inconnu",

    # platform
    "This short name is already taken.": "Ce nom court est déjà pris.",
    "Tenant {slug} created.": "Client {slug} créé.",
    "Administrator {login} created.": "Administrateur {login} créé.",
    "Administrator removed.": "Administrateur supprimé.",
    "Type the tenant's short name to confirm.": "Tapez le nom court du client pour confirmer.",
    "Tenant {slug} deleted.": "Client {slug} supprimé.",
    "Tenants": "Clients",
    "SIP edge bans": "Adresses refusées par le serveur SIP",
    "Addresses the SIP edge refuses now: for one user after too many wrong passwords, or for "
    "everything after a flood of requests. Bans run out by themselves; lifting one lets the "
    "address in at once.":
        "Adresses que le serveur SIP refuse en ce moment : pour un utilisateur après trop de "
        "mots de passe erronés, ou pour tout après un flot de requêtes. Les refus prennent fin "
        "d'eux-mêmes ; les lever laisse entrer l'adresse aussitôt.",
    "The SIP edge does not answer now.": "Le serveur SIP ne répond pas.",
    "Address": "Adresse", "Reason": "Motif",
    "wrong passwords ({n})": "mots de passe erronés ({n})",
    "request flood": "flot de requêtes",
    "every request": "toute requête",
    "Lift this address's bans": "Lever les refus de cette adresse",
    "No address is refused.": "Aucune adresse n'est refusée.",
    "{address} is no longer refused.": "{address} n'est plus refusée.",
    "There is no such ban any more.": "Ce refus n'existe plus.",
    "Open this tenant's configuration": "Ouvrir la configuration de ce client",
    "Administrators": "Administrateurs",
    "Remove": "Retirer",
    "No administrator yet.": "Aucun administrateur pour l'instant.",
    "New administrator": "Nouvel administrateur",
    "Confirm the password": "Confirmez le mot de passe",
    "Language": "Langue",
    "Create the administrator": "Créer l'administrateur",
    "Delete this tenant": "Supprimer ce client",
    "This removes the tenant, its users and phones' accounts and all its configuration.":
        "Cela supprime le client, ses utilisateurs, les comptes de ses téléphones et toute sa "
        "configuration.",
    "Type the short name to confirm": "Tapez le nom court pour confirmer",
    "Delete the tenant": "Supprimer le client",
    "Short name": "Nom court",
    "SIP domain": "Domaine SIP",
    "Open": "Ouvrir",
    "No tenant yet.": "Aucun client pour l'instant.",
    "New tenant": "Nouveau client",
    "a-z, 0-9 and -; it cannot be changed later": "a-z, 0-9 et - ; il ne pourra plus être changé",
    "Company name": "Raison sociale",
    "e.g. acme.pbx.test: phones register as user@domain":
        "ex. : acme.pbx.test : les téléphones s'enregistrent comme utilisateur@domaine",
    "Time zone": "Fuseau horaire",
    "Create the tenant": "Créer le client",

    # groups
    "Edit the group": "Editer le groupe",
    "Add a group": "Ajouter un groupe",
    "Declare the members, the call distribution and the no-answer rules of each of your "
    "groups.":
        "Déclarez les membres, répartition des appels et règles de déviation pour chacun de vos "
        "groupes.",
    "Short number": "Numéro court",
    "short number": "numéro court",
    "E.g. 273 (must be between 200 and 999)": "Ex. : 273 (doit être compris entre 200 et 999)",
    "Call distribution type": "Type de répartition des appels",
    "Number of rings": "Nombre de sonneries",
    "NB: 1 ring = 5 seconds": "NB : 1 sonnerie = 5 secondes",
    "Number of cycles": "Nombre de cycles",
    "Cyclic and random distributions only": "Répartitions cyclique et aléatoire seulement",
    "Members": "Membres",
    "Group members": "Membres du groupe",
    "Group members:": "Membres du groupe :",
    "Extensions in ringing order, separated by commas (e.g. 7956, 7961).":
        "Numéros internes dans l'ordre de sonnerie, séparés par des virgules (ex. : 7956, 7961).",
    "↑ ↓ change the ringing order.": "↑ ↓ changent l'ordre de sonnerie.",
    "Users of the company": "Utilisateurs de l'entreprise",
    "No-answer rules": "Règles de déviation",
    "If no member of the group answered": "Si aucun membre du groupe n'a répondu",
    "The voicemail of a global number counts as a group.":
        "La boîte vocale d'un numéro principal est considérée comme un groupe.",
    "Add to the group": "Ajouter au groupe",
    "Print all groups": "Imprimer tous les groupes",
    "Type:": "Type :",
    "No answer": "Non-réponse",
    "no answer": "non-réponse",
    "No group is configured.": "Aucun groupe n'est configuré.",
    "A group can be called from an internal phone by its short number.":
        "Notez qu'il est possible d'appeler un groupe à l'aide du numéro court depuis un poste "
        "interne.",
    "no member": "aucun membre",
    "cyclic": "cyclique",
    "hierarchical": "hiérarchique",
    "simultaneous": "simultané",
    "least active": "le moins actif",
    "random": "aléatoire",
    "The members' phones will ring {times} in turn for {cycles} before the "
    "no-answer rules apply. Each ringing cycle starts with the member after the one who "
    "answered the last call.":
        "Les téléphones des membres sonneront {times} à tour de rôle pendant {cycles} "
        "avant de suivre les règles de déviation. Le cycle de sonnerie commencera par le "
        "numéro suivant celui qui a répondu au dernier appel.",
    "The phone of the first available member of the list will ring {times}. If this "
    "member is unavailable or does not answer, the call goes to the next member: the list sets "
    "the members' priority.":
        "Le téléphone du premier membre disponible de la liste sonnera {times}. Si ce "
        "membre est indisponible, l'appel sera transmis au membre suivant. Cela permet de "
        "définir une priorité sur les membres du groupe.",
    "The members' phones will ring simultaneously {times} before the no-answer rules "
    "apply.":
        "Les téléphones des membres sonneront simultanément {times} avant de suivre les "
        "règles de déviation.",
    "Calls go to the member who has been idle for the longest time among the members of this "
    "group; each member rings {times}.":
        "Les appels sont envoyés au numéro qui a été le plus longtemps inactif parmi les "
        "numéros de ce groupe ; chacun sonne {times}.",
    "The members' phones will ring {times} in turn, in a random order, for {cycles} "
    "before the no-answer rules apply.":
        "Les téléphones des membres sonneront {times} à tour de rôle dans un ordre au "
        "hasard pendant {cycles} avant de suivre les règles de déviation.",
    "If no member of the group answers within {duration}, the no-answer rules apply.":
        "Si aucun membre du groupe ne répond au bout de {duration}, les règles de déviation "
        "sont alors appliquées.",
    "The group has no member yet: calls go straight to the no-answer rules.":
        "Le groupe n'a encore aucun membre : les appels suivent directement les règles de "
        "déviation.",
    "{n} minute": "{n} minute", "{n} minutes": "{n} minutes",
    "{n} second": "{n} seconde", "{n} seconds": "{n} secondes",
    "{n} ring": "{n} sonnerie", "{n} rings": "{n} sonneries",
    "{n} cycle": "{n} cycle", "{n} cycles": "{n} cycles",
    "{n} time": "{n} fois", "{n} times": "{n} fois",

    # monitor
    "phones unavailable: unknown": "téléphones indisponibles : inconnu",
    "Current range:": "Plage actuelle :",
    "Outside hours": "Hors plage horaire",
    "holiday {name} (outside hours)": "jour férié « {name} » (hors plage horaire)",
    "Whether registered users are in a call is known only to the running SIP edge, which does "
    "not answer now: busy members are shown as registered.":
        "Seul le serveur SIP en marche sait si un utilisateur enregistré est en communication, "
        "et il ne répond pas : les membres occupés apparaissent comme connectés.",
    "registered": "connecté",
    "busy": "occupé",
    "absent": "absent",
    "Phones locked out after wrong passwords":
        "Téléphones bloqués après des mots de passe erronés",
    "An address that sends a wrong password for a user {n} times in a row is refused for that "
    "user for {duration}: a phone with an old password, or somebody guessing. Correct "
    "the password on the phone, then let it in again.":
        "Une adresse qui envoie {n} fois de suite un mot de passe erroné pour un utilisateur "
        "est refusée pour cet utilisateur pendant {duration} : un téléphone avec un "
        "ancien mot de passe, ou quelqu'un qui essaie de le deviner. Corrigez le mot de passe "
        "sur le téléphone, puis débloquez-le.",
    "From address": "Adresse d'origine",
    "unknown user {name}": "utilisateur inconnu {name}",
    "Let in again": "Débloquer",
    "The SIP edge does not answer now: nothing was changed.":
        "Le serveur SIP ne répond pas : rien n'a été modifié.",
    "{user} may register again from {address}.":
        "{user} peut de nouveau s'enregistrer depuis {address}.",
    "There is no such lockout any more.": "Ce blocage n'existe plus.",
    "Passwords being guessed": "Mots de passe attaqués",
    "Somebody is trying passwords for these users from many addresses. Each address is "
    "refused after a few tries, but give these users long, random passwords.":
        "Quelqu'un essaie des mots de passe pour ces utilisateurs depuis de nombreuses "
        "adresses. Chaque adresse est refusée après quelques essais, mais donnez à ces "
        "utilisateurs des mots de passe longs et aléatoires.",
    "Failed attempts": "Essais échoués",
    "{a} of {b} users have a phone registered": "{a} utilisateurs sur {b} ont un téléphone connecté",
    "phones": "téléphones",
    "{n} user absent": "{n} utilisateur absent",
    "{n} users absent": "{n} utilisateurs absents",
    "{n} phone unavailable": "{n} téléphone indisponible",
    "{n} phones unavailable": "{n} téléphones indisponibles",
    "Refresh": "Rafraîchir",
    "Print the whole configuration": "Imprimer toute la configuration",
    "The whole configuration": "Toute la configuration",
    "Configuration of {name}": "Configuration de {name}",
    "Printed on {when}.": "Imprimé le {when}.",
    "Company": "Entreprise",
    "SIP domain: {domain} (phones register as user@{domain}).":
        "Domaine SIP : {domain} (les téléphones s'enregistrent comme utilisateur@{domain}).",
    "Time zone: {zone}.": "Fuseau horaire : {zone}.",
    "External calls: dial 0 first (access code on).":
        "Appels externes : composer d'abord le 0 (access code activé).",
    "External calls: dialled directly (no access code).":
        "Appels externes : composés directement (sans access code).",
    "Global numbers": "Numéros globaux",
    "During the range {range}: {destination}.": "Pendant la plage « {range} » : {destination}.",
    "Outside hours and on holidays: {destination}.":
        "Hors plage horaire et les jours fériés : {destination}.",
    "No global number is configured.": "Aucun numéro global n'est configuré.",
    "Holidays": "Jours fériés et vacances",
    "No holiday.": "Aucun jour férié.",
    "Members, in order:": "Membres, dans l'ordre :",

    # users
    "Extension": "Numéro interne",
    "User name": "Nom d'utilisateur",
    "Direct number": "Ligne directe",
    "Edit the user": "Editer l'utilisateur",
    "Add a user": "Ajouter un utilisateur",
    "2 to 6 digits, unique in the company; it cannot be changed later.":
        "2 à 6 chiffres, unique dans l'entreprise ; il ne pourra plus être changé.",
    "The extension cannot be changed.": "Le numéro interne ne peut pas être changé.",
    "SIP user name": "Nom d'utilisateur SIP",
    "Phones register as {user}@{domain}.": "Les téléphones s'enregistrent comme {user}@{domain}.",
    "SIP password": "Mot de passe SIP",
    "At least 8 characters.": "Au moins 8 caractères.",
    "Leave empty to keep the current one.": "Laissez vide pour garder l'actuel.",
    "Optional, in international form: +41215667956":
        "Facultatif, au format international : +41215667956",
    "Each user has an extension, a SIP account to register phones (user name and password, "
    "domain {domain}) and an optional direct number. Several phones may register as the same "
    "user: all of them ring.":
        "Chaque utilisateur a un numéro interne, un compte SIP pour enregistrer ses téléphones "
        "(nom d'utilisateur et mot de passe, domaine {domain}) et une ligne directe facultative. "
        "Plusieurs téléphones peuvent s'enregistrer comme le même utilisateur : tous sonnent.",
    "Phones": "Téléphones",
    "No user yet.": "Aucun utilisateur pour l'instant.",

    # numbers
    "Edit the number": "Editer le numéro",
    "Add a number": "Ajouter un numéro",
    "Route the calls to your global numbers according to the time ranges.":
        "Transférez simplement les appels de votre/vos numéro/s global/aux en fonction des "
        "plages horaires.",
    "Number": "Numéro",
    "In international form: +41215667955": "Au format international : +41215667955",
    "E.g. Reception": "Ex. : Réception",
    "Handling by time range": "Prise en charge selon les plages horaires",
    "The first range that matches the time of the call wins. Choose no range to remove a line.":
        "La première plage qui correspond à l'heure de l'appel l'emporte. Choisissez « — » pour "
        "retirer une ligne.",
    "Range": "Plage",
    "Transfer to": "Transfert à",
    "Outside hours and holidays": "Hors plage horaire et jours fériés",
    "Calls that match none of the ranges above, and calls on holidays.":
        "Les appels qui n'entrent dans aucune des plages ci-dessus, et les appels des jours "
        "fériés.",
    "Calls to {number} are handled by the destinations below according to the time ranges "
    "(the first matching range wins):":
        "Les appels entrants sur le numéro {number} seront pris en charge ci-dessous en fonction "
        "des différentes plages horaires (la première plage qui correspond l'emporte) :",
    "Destination": "Destination",
    "Call flow": "Parcours des appels",
    "Preview a call to this number…": "Aperçu d'un appel vers ce numéro…",
    "and holidays": "et jours fériés",

    # preview
    "The live state of the phones is not available (the SIP edge does not answer).":
        "L'état réel des téléphones n'est pas disponible (le serveur SIP ne répond pas).",
    "Give a valid date and time.": "Indiquez une date et une heure valables.",
    "Choose a number, a date and a time: the page shows what a call would do, computed by the "
    "same engine as the live routing.":
        "Choisissez un numéro, une date et une heure : la page montre ce que ferait un appel, "
        "calculé par le même moteur que l'acheminement réel.",
    "Date": "Date",
    "Time": "Heure",
    "with the phones' real state": "avec l'état réel des téléphones",
    "Preview": "Aperçu",
    "A call to {number} on {when}": "Un appel vers le {number} le {when}",
    "Range in force:": "Plage en vigueur :",
    "ring": "sonner",
    "for {n} s": "pendant {n} s",
    "wait {n} s, then": "attendre {n} s, puis",
    "During a wait the caller hears ringback: a phone that stopped ringing for this call less "
    "than 6 seconds ago would refuse it.":
        "Pendant une attente, l'appelant entend la tonalité d'appel : un téléphone qui a cessé "
        "de sonner pour cet appel il y a moins de 6 secondes le refuserait.",
    "Nobody can ring: the call goes on to the no-answer rule.":
        "Personne ne peut sonner : l'appel suit la règle de déviation.",
    "If nobody answers:": "Si personne ne répond :",
    "Every member is assumed available. For a random group, the order shown is one possible "
    "order.":
        "Tous les membres sont supposés disponibles. Pour un groupe aléatoire, l'ordre montré "
        "est un ordre possible.",
    "Global numbers ": "Numéros globaux ",
    "Groups (short numbers)": "Groupes (numéros courts)",

    # tabs not available yet
    "An announcement is an audio message a call can be sent to, from a global number's range "
    "or from a group's no-answer rule (up to 10, WAV or MP3, at most 4 MB).":
        "Une annonce est un message audio vers lequel un appel entrant peut être renvoyé, depuis "
        "une plage d'un numéro global ou depuis les règles de déviation d'un groupe (10 au "
        "maximum, wav ou MP3, 4 Mo au maximum).",
    "Announcements cannot be uploaded by this version, and calls cannot be sent to one yet.":
        "Cette version ne permet pas encore d'ajouter des annonces, ni d'y renvoyer des appels.",
    "Company directory": "Annuaire d'entreprise",
    "Contacts every user of the company sees, read-only, in their phone's directory: the "
    "company's users, and external contacts, which may get a short number dialled with ## "
    "(e.g. ##3435).":
        "Les contacts que chaque utilisateur voit, sans pouvoir les modifier, dans l'annuaire de "
        "son téléphone : les utilisateurs de l'entreprise, et des contacts externes, qui peuvent "
        "recevoir un numéro court précédé de ## (ex. : ##3435).",
    "External contacts cannot be added by this version. The internal contacts are your users:":
        "Cette version ne permet pas encore d'ajouter des contacts externes. Les contacts internes "
        "sont vos utilisateurs :",
    "Your Virtual PBX's sound identity: the music on hold a held party hears, and the ringback "
    "tones callers hear while a group rings (up to 10 of each, WAV or MP3, at most 4 MB).":
        "L'identité sonore de votre Virtual PBX : la musique d'attente que vos interlocuteurs "
        "entendent quand ils sont mis en attente, et les tonalités d'appel entendues avant que "
        "vous ne décrochiez (10 de chaque au maximum, wav ou MP3, 4 Mo au maximum).",
    "Audio files cannot be uploaded by this version: the default music on hold and ringback "
    "tone are used.":
        "Cette version ne permet pas encore d'ajouter des fichiers sonores : la musique "
        "d'attente et la tonalité d'appel par défaut sont utilisées.",
    "Set the external dialling policy and the number shown to the people you call.":
        "Définissez la politique de numérotation externe et d'affichage des appels sortants.",
    "Prefix for external calls": "Préfixe pour appels externes",
    "Dial 0 to make external calls (a rule for all the numbers of your company):":
        "Composez le 0 pour émettre des appels externes (règle pour tous les numéros de votre "
        "téléphonie) :",
    "The access code is the \"0 to get out\" (e.g. 0 021 879 XX XX). It applies to every user "
    "of your company.":
        "L'Access code est le « 0 pour sortir » (ex. : 0 021 879 XX XX). Cette règle s'applique "
        "à tous les utilisateurs de votre entreprise.",
    "Number shown for external calls": "Affichage des numéros pour les appels externes",
    "Choose the number shown to the people your users call, e.g. the main number of a "
    "department instead of each user's direct number.":
        "Choisissez le numéro qui s'affiche lors de vos appels, par exemple le numéro principal "
        "d'un service au lieu de la ligne directe de chacun.",
    "Presentation rules are not stored by this version: each user's external calls show their "
    "own direct number.":
        "Cette version n'enregistre pas encore ces règles : les appels externes de chaque "
        "utilisateur affichent sa ligne directe.",
    "The voicemail of a global number works like a group: a number's time range, its outside "
    "hours or a group's no-answer rule can send calls to it. It can be enabled, enabled with a "
    "greeting only, or disabled; it is reached by dialling 086 followed by the number.":
        "La boîte vocale du numéro principal fonctionne comme un groupe : une plage d'un numéro, "
        "son « hors plage horaire » ou les règles de déviation d'un groupe peuvent y renvoyer "
        "les appels. Elle peut être activée, activée avec une annonce seule, ou désactivée ; on "
        "y accède en composant le 086 suivi du numéro principal.",
    "The mailbox settings (mode, greeting, language, e-mail, and the 4-digit PIN entered "
    "twice) are not stored by this version; calls sent to a voicemail cannot leave a message "
    "yet.":
        "Cette version n'enregistre pas encore les réglages de la boîte (mode, annonce, langue, "
        "adresse e-mail, et le mot de passe de 4 chiffres saisi deux fois) ; un appel renvoyé "
        "vers une boîte vocale ne peut pas encore laisser de message.",
    "Where the voicemails are used": "Où les boîtes vocales sont utilisées",
    "Voicemail of": "Boîte vocale du",
    "Used by": "Utilisée par",
    "number {number}, range {range}": "numéro {number}, plage « {range} »",
    "number {number}, outside hours": "numéro {number}, hors plage horaire",
    "no-answer rule of group {name}": "règles de déviation du groupe « {name} »",

    # time ranges and holidays
    "Office hours": "Ouverture des bureaux",
    "Summary:": "Résumé :",
    "The summary appears when the days and periods are valid.":
        "Le résumé s'affiche quand les jours et les périodes sont valables.",
    "Edit the range": "Editer la plage",
    "Add a range": "Ajouter une plage",
    "Name the range, tick the days of the week it includes and give its periods of activity. "
    "A summary is shown at the bottom of the page.":
        "Nommez votre plage horaire à l'aide du champ « Intitulé », cochez les jours de la "
        "semaine qui seront dans cette plage et indiquez ses heures d'activités. Un résumé "
        "s'affiche en bas de page.",
    "The default range's name cannot be changed.": "Le nom de la plage par défaut ne peut pas être changé.",
    "Days": "Jours",
    "Tick the days of the week included in the range:":
        "Indiquez les jours de la semaine qui seront inclus dans la plage horaire :",
    "Periods of activity": "Périodes d'activités",
    "Give the periods of activity of the range, for all the days ticked above. You can give one "
    "to three periods, which must not overlap (HH:MM, the end may be 24:00):":
        "Indiquez les périodes d'activité de la plage, pour l'ensemble des jours indiqués "
        "ci-dessus. Vous pouvez indiquer de une à trois périodes, qui ne doivent pas se "
        "recouvrir (HH:MM, la fin peut être 24:00) :",
    "Period {n}:": "Période {n} :",
    "from": "de",
    "to": "à",
    "Days declared closed. On these dates the whole day, from 0:00 to 24:00, is outside hours, "
    "whatever the ranges say: calls go to each number's outside-hours destination.":
        "Jours déclarés non ouvrés. Ces dates couvrent l'ensemble de la journée, soit de 0:00 à "
        "24:00, quelles que soient les plages : les appels suivent le « hors plage horaire » de "
        "chaque numéro.",
    "Add to the list": "Edition de la liste",
    "One day": "Jours précis",
    "Period": "Période",
    "From": "Du",
    "To": "Au",
    "Both days included.": "Les deux jours inclus.",
    "Back to the time ranges": "Retour aux plages horaires",
    "Your list contains {n} date.": "Actuellement, votre liste contient : {n} date",
    "Your list contains {n} dates.": "Actuellement, votre liste contient : {n} dates",
    "Define the time ranges according to your periods of activity and inactivity.":
        "Définissez les plages horaires en fonction des périodes d'activités et d'inactivités.",
    "Cannot be deleted": "Ne peut pas être supprimée",
    "Period {n}: give both the start and the end.": "Période {n} : indiquez le début et la fin.",
    "Holiday added.": "Jour férié ajouté.",
    "{h:02d}:{m:02d}": "{h:02d}h{m:02d}",
    "no day": "aucun jour",
    "every day": "tous les jours",
    "{first} to {last}": "du {first} au {last}",
    "{items} and {last}": "{items} et {last}",
    "from {start} to {end}": "de {start} à {end}",
    "no period": "aucune période",
    "{days}, {periods}": "{days}, {periods}",
    # the numbers the carrier assigns (operators' Numbers page, tenants' "Your numbers")
    "The numbers each tenant may use (global numbers, direct numbers, caller ID). A tenant cannot use a number that is not assigned to it; a block still in use cannot be taken back.":
        "Les numéros que chaque client peut utiliser (numéros globaux, numéros directs, "
        "présentation du numéro). Un client ne peut pas utiliser un numéro qui ne lui est pas "
        "attribué ; un bloc encore utilisé ne peut pas être repris.",
    "Tenant": "Client",
    "Free": "Libres",
    "prefix": "préfixe",
    "user {detail}": "utilisateur {detail}",
    "global number": "numéro global",
    "Unassign {block}": "Reprendre {block}",
    "No number is assigned yet.": "Aucun numéro n'est encore attribué.",
    "Assign numbers": "Attribuer des numéros",
    "one number +41215667955, a range +41215667900-+41215667999, or a prefix +4121566*":
        "un numéro +41215667955, une plage +41215667900-+41215667999 ou un préfixe +4121566*",
    "Assign": "Attribuer",
    "Choose a tenant.": "Choisissez un client.",
    "{block} assigned to {slug}.": "{block} attribué à {slug}.",
    "The numbers are no longer assigned.": "Les numéros ne sont plus attribués.",
    "Your numbers": "Vos numéros",
    "Its numbers go back to the carrier.": "Ses numéros reviennent à l'opérateur.",
    "Your numbers, used and free": "Vos numéros, utilisés et libres",
    "The numbers your operator assigned to your company: only these can be global numbers, direct numbers or shown as caller ID. Ask your operator for more.":
        "Les numéros que votre opérateur a attribués à votre entreprise : seuls ceux-ci "
        "peuvent être des numéros globaux, des numéros directs ou être présentés lors de vos "
        "appels. Demandez-en d'autres à votre opérateur.",
    "Used": "Utilisés",
    "direct number of user {detail}": "numéro direct de l'utilisateur {detail}",
    "None of these numbers is used yet.": "Aucun de ces numéros n'est encore utilisé.",
    "Every number starting with {prefix} that is not used above.":
        "Tous les numéros commençant par {prefix} qui ne sont pas utilisés ci-dessus.",
    "{n} free number": "{n} numéro libre",
    "{n} free numbers": "{n} numéros libres",
    "No number is assigned to your company yet: ask your operator.":
        "Aucun numéro n'est encore attribué à votre entreprise : adressez-vous à votre "
        "opérateur.",
}

# The provisioning rules' reasons (English) → French; the named groups are kept.
_P = re.compile
PROBLEMS_FR = [
    (_P(r"required"), "obligatoire"),
    (_P(r"required for a new user"), "obligatoire pour un nouvel utilisateur"),
    (_P(r"required for a new tenant"), "obligatoire pour un nouveau client"),
    (_P(r"required to change the username \(the SIP digest depends on it\)"),
     "obligatoire pour changer le nom d'utilisateur SIP"),
    (_P(r"required: this user has no SIP account yet"),
     "obligatoire : cet utilisateur n'a pas encore de compte SIP"),
    (_P(r"required \(or date for a single day\)"), "obligatoire (ou une date pour un seul jour)"),
    (_P(r"must be a text of (?P<a>\d+) to (?P<b>\d+) characters"),
     "doit être un texte de {a} à {b} caractères"),
    (_P(r"must be a whole number from (?P<a>\d+) to (?P<b>\d+)"),
     "doit être un nombre entier compris entre {a} et {b}"),
    (_P(r"must be one of (?P<a>.+)"), "doit être l'une des valeurs : {a}"),
    (_P(r"must be 2 to 6 digits"), "doit comporter de 2 à 6 chiffres"),
    (_P(r"must be 2 to 6 digits \(write it in quotes\)"), "doit comporter de 2 à 6 chiffres"),
    (_P(r'must be an E\.164 number such as "(?P<a>[^"]+)"'),
     "doit être un numéro au format international, par exemple {a}"),
    (_P(r"must be at least (?P<n>\d+) characters"), "doit comporter au moins {n} caractères"),
    (_P(r"must be 1 to 64 characters among letters, digits, '\.', '_' and '-'"),
     "doit comporter de 1 à 64 caractères parmi les lettres, les chiffres, « . », « _ » et « - »"),
    (_P(r"must be 1 to 32 characters among a-z, 0-9 and -"),
     "doit comporter de 1 à 32 caractères parmi a-z, 0-9 et -"),
    (_P(r"must be a DNS name such as acme\.pbx\.test \(letters, digits, '-', dots\)"),
     "doit être un nom de domaine comme acme.pbx.test"),
    (_P(r"unknown time zone (?P<a>.+) \(use a zoneinfo name such as Europe/Zurich\)"),
     "fuseau horaire inconnu {a} (par exemple Europe/Zurich)"),
    (_P(r"must be a date YYYY-MM-DD"), "doit être une date valable"),
    (_P(r"must not be before from"), "ne doit pas précéder la date de début"),
    (_P(r"give either date \(one day\) or from and to \(a period\), not both"),
     "indiquez soit un jour, soit une période, pas les deux"),
    (_P(r"must be a list of at least one of .+"), "cochez au moins un jour"),
    (_P(r"(?P<a>\w+) is given twice"), "{a} est donné deux fois"),
    (_P(r'must be a list of one to three periods "HH:MM-HH:MM"'),
     "indiquez de une à trois périodes"),
    (_P(r"(?P<a>'[^']*') is not a period \"HH:MM-HH:MM\""),
     "{a} n'est pas une période HH:MM-HH:MM"),
    (_P(r"times must be 00:00 to 24:00"), "les heures vont de 00:00 à 24:00"),
    (_P(r"(?P<a>'[^']*'): the start must be before the end"), "{a} : le début doit précéder la fin"),
    (_P(r"(?P<a>'[^']*') and (?P<b>'[^']*') overlap"), "les périodes {a} et {b} se recouvrent"),
    (_P(r"must be a list of extensions such as .+"),
     "doit être une liste de numéros internes, comme 7956, 7961"),
    (_P(r"(?P<a>\S+) is listed twice"), "{a} figure deux fois"),
    (_P(r"only cyclic and random groups have cycles"),
     "seules les répartitions cyclique et aléatoire ont des cycles"),
    (_P(r"(?P<a>\S+) is already used by (?P<b>.+)"), "{a} est déjà utilisé par {b}"),
    (_P(r"(?P<a>\S+) is already in use by another subscriber of the platform"),
     "{a} est déjà utilisé par un autre abonné de la plateforme"),
    (_P(r"no user has the extension (?P<a>\S+)"), "aucun utilisateur n'a le numéro interne {a}"),
    (_P(r"no group is named (?P<a>.+)"), "aucun groupe ne s'appelle {a}"),
    (_P(r"(?P<a>\S+) is not one of this tenant's numbers"), "{a} n'est pas l'un de vos numéros"),
    (_P(r"no time range is named (?P<a>.+)"), "aucune plage horaire ne s'appelle {a}"),
    (_P(r"(?P<a>.+) cannot be deleted: (?P<b>.+) still uses it"),
     "impossible de supprimer {a} : {b} l'utilise encore"),
    (_P(r"(?P<a>'[^']*') is already routed by .+"), "la plage {a} figure déjà dans le tableau"),
    (_P(r"the name of Office hours cannot be changed"),
     "le nom de la plage « Ouverture des bureaux » ne peut pas être changé"),
    (_P(r"Office hours cannot be deleted, only edited"),
     "« Ouverture des bureaux » ne peut pas être supprimée, mais il est possible de la modifier"),
    (_P(r'an external number must be digits after a leading 0 or \+, such as "(?P<a>\d+)"'),
     "un numéro externe s'écrit en chiffres précédés d'un 0 ou d'un +, comme {a}"),
    (_P(r"must be hangup or one of .+"), "destination non valable"),
    (_P(r"announcements are not supported yet"), "les annonces ne sont pas encore disponibles"),
    (_P(r"audio files are not supported yet"), "les fichiers sonores ne sont pas encore disponibles"),
    (_P(r"(?P<a>\S+) is already the domain of tenant (?P<b>\S+)"),
     "{a} est déjà le domaine du client {b}"),
    (_P(r"changing the domain needs every user's password.*"),
     "changer le domaine demande le mot de passe de chaque utilisateur"),
    (_P(r"must be true or false"), "doit être vrai ou faux"),
    (_P(r"(?P<a>\S+) is not assigned to this tenant \(the platform operator assigns the "
        r"numbers a tenant may use\)"),
     "{a} n'est pas attribué à votre entreprise (c'est l'opérateur de la plateforme qui "
     "attribue les numéros)"),
    (_P(r"(?P<a>\S+) overlaps (?P<b>\S+) \(assigned to (?P<c>\S+)\)"),
     "{a} chevauche {b} (attribué à {c})"),
    (_P(r"(?P<a>\S+) must stay assigned to tenant (?P<b>\S+): its (?P<c>.+) uses it"),
     "{a} doit rester attribué au client {b} : {c} l'utilise"),
    (_P(r"(?P<a>\S+) is still used by (?P<b>.+)"), "{a} est encore utilisé par {b}"),
    (_P(r"must be an E\.164 number \(\"\+41215667955\"\), a range of numbers of the same "
        r"length \(\"\+41215667900-\+41215667999\"\) or a prefix \(\"\+4121566\*\"\)"),
     "doit être un numéro E.164 (« +41215667955 »), une plage de numéros de même longueur "
     "(« +41215667900-+41215667999 ») ou un préfixe (« +4121566* »)"),
    (_P(r"(?P<a>\S+): the first number must not be after the last"),
     "{a} : le premier numéro ne doit pas suivre le dernier"),
    (_P(r"must not contain control characters \(line breaks, tabs, escapes…\)"),
     "ne doit pas contenir de caractères de contrôle (retours à la ligne, tabulations…)"),
    (_P(r"unknown key \(expected one of: (?P<a>.+)\)"), "champ inconnu (attendu : {a})"),
    (_P(r"the database refused the change .*"),
     "la base de données a refusé la modification ; rien n'a été modifié"),
    (_P(r"another vpbx command is changing the configuration.*"),
     "la configuration est en cours de modification ailleurs ; réessayez"),
]

# the voicemail and audio tabs
from .catalogue_media_fr import MEDIA_FR, MEDIA_PROBLEMS_FR  # noqa: E402
FRENCH.update({text: french for text, french in MEDIA_FR.items() if text not in FRENCH})
PROBLEMS_FR += MEDIA_PROBLEMS_FR
