"""The OpenAPI 3.0 document of /api/v1 (served at /api/v1/openapi.json).

The schemas say what CONFIG-FORMAT says of each tenant-file entry; the provisioning rules
(vpbx.provisioning.rules) remain the authority, and a body that fits the schema but breaks a
rule (a member who is not a user, a short number already used…) gets 422 with the reasons.
"""
from vpbx.audio.files import FILE_KINDS
from vpbx.model.tenant import DAYS, DISTRIBUTIONS, VOICEMAIL_LANGUAGES, VOICEMAIL_MODES

# section -> (path, key field of its entries; None: the holiday is its own key)
SECTIONS = {"users": ("/users", "extension"), "time_ranges": ("/time-ranges", "name"),
            "holidays": ("/holidays", None), "groups": ("/groups", "name"),
            "numbers": ("/numbers", "number")}

_TEXT = {"type": "string", "minLength": 1, "maxLength": 128}
_E164 = {"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$", "example": "+41215667955"}
_EXTENSION = {"type": "string", "pattern": r"^[0-9]{2,6}$", "example": "7956"}
_ID = {"type": "integer", "minimum": 1, "readOnly": True}


def _one_key(name: str, schema: dict) -> dict:
    return {"type": "object", "required": [name], "additionalProperties": False,
            "properties": {name: schema}}


DESTINATION = {
    "description": "Where a call goes: hangup, a group, a number's voicemail, or an external "
                   "number (with the access code where it is on).",
    "oneOf": [{"type": "string", "enum": ["hangup"]},
              _one_key("group", _TEXT),
              _one_key("voicemail", _E164),
              _one_key("number", {"type": "string", "pattern": r"^[0+][0-9]{2,30}$",
                                  "example": "0215667956"})]}

_ENTRIES = {
    "User": {
        "type": "object", "required": ["extension", "name", "username"],
        "properties": {
            "extension": _EXTENSION, "name": _TEXT,
            "username": {"type": "string", "pattern": r"^[A-Za-z0-9._-]{1,64}$"},
            "password": {"type": "string", "minLength": 8, "maxLength": 128, "writeOnly": True,
                         "description": "SIP password: required for a new user and to change "
                                        "the user name; never returned"},
            "direct_number": _E164}},
    "TimeRange": {
        "type": "object", "required": ["name", "days", "periods"],
        "properties": {
            "name": _TEXT,
            "days": {"type": "array", "minItems": 1, "maxItems": 7, "uniqueItems": True,
                     "items": {"type": "string", "enum": list(DAYS)}},
            "periods": {"type": "array", "minItems": 1, "maxItems": 3,
                        "items": {"type": "string",
                                  "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]-"
                                             r"(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
                                  "example": "08:00-12:00"},
                        "description": "one to three periods that do not overlap"}}},
    "Holiday": {
        "type": "object", "required": ["name"],
        "description": "one day (date) or a period (from, to; both days included)",
        "properties": {"name": _TEXT, "date": {"type": "string", "format": "date"},
                       "from": {"type": "string", "format": "date"},
                       "to": {"type": "string", "format": "date"}}},
    "Group": {
        "type": "object", "required": ["name", "short_number", "distribution"],
        "properties": {
            "name": _TEXT,
            "short_number": {"type": "integer", "minimum": 200, "maximum": 999},
            "distribution": {"type": "string", "enum": list(DISTRIBUTIONS)},
            "rings": {"type": "integer", "minimum": 1, "maximum": 20,
                      "description": "1 ring = 5 seconds"},
            "cycles": {"type": "integer", "minimum": 1, "maximum": 10,
                       "description": "cyclic and random groups only"},
            "members": {"type": "array", "uniqueItems": True, "items": _EXTENSION},
            "no_answer": {"$ref": "#/components/schemas/Destination"}}},
    "Number": {
        "type": "object", "required": ["number"],
        "properties": {
            "number": _E164,
            "label": {"type": "string", "maxLength": 128},
            "routes": {"type": "array", "items": {
                "type": "object", "required": ["range", "to"], "additionalProperties": False,
                "properties": {"range": _TEXT,
                               "to": {"$ref": "#/components/schemas/Destination"}}}},
            "outside_hours": {"$ref": "#/components/schemas/Destination"}}},
}

_TAGS = {"users": "User", "time_ranges": "TimeRange", "holidays": "Holiday", "groups": "Group",
         "numbers": "Number"}


def _stored_schema(name: str) -> dict:
    """An entry as returned: the entry's properties plus its id."""
    entry = _ENTRIES[name]
    properties = {key: value for key, value in entry["properties"].items()
                  if key != "password"}
    return {"type": "object", "required": ["id", *entry["required"]],
            "additionalProperties": False, "properties": {"id": _ID, **properties}}


def _nullable(schema: dict) -> dict:
    """An optional input property: null means "absent" (the default), as in a tenant file."""
    if "$ref" in schema:
        return {"nullable": True, "allOf": [schema]}
    return {**schema, "nullable": True}


def _input_schema(name: str) -> dict:
    """An entry as sent: its optional properties may be null (= absent)."""
    entry = _ENTRIES[name]
    properties = {key: value if key in entry["required"] else _nullable(value)
                  for key, value in entry["properties"].items()}
    return {**entry, "properties": properties, "additionalProperties": False}


def _response(description: str, schema: dict | None = None) -> dict:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_ERRORS = _response("the change breaks a rule; nothing was changed", _ref("Problems"))
_NOT_FOUND = _response("no such object in your tenant", _ref("Error"))
_UNAUTHORIZED = _response("no valid bearer token: missing, unknown, revoked or expired (an "
                          "expired token is told so, with the date)", _ref("Error"))
_BAD_BODY = _response("the body is not a JSON object", _ref("Error"))


def _paths_of(section: str, path: str) -> dict:
    name = _TAGS[section]
    body = {"required": True, "content": {"application/json": {"schema": _ref(f"{name}Input")}}}
    item_id = [{"name": "item_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1}}]
    common = {"401": _UNAUTHORIZED, "403": _response("not a tenant administrator's token",
                                                     _ref("Error"))}
    return {
        path: {
            "get": {"operationId": f"list_{section}", "tags": [name],
                    "responses": {"200": _response("all of them",
                                                   {"type": "array", "items": _ref(name)}),
                                  **common}},
            "post": {"operationId": f"create_{section}", "tags": [name], "requestBody": body,
                     "responses": {"201": _response("created", _ref(name)), "422": _ERRORS,
                                   "400": _BAD_BODY, "415": _BAD_BODY, **common}}},
        f"{path}/{{item_id}}": {
            "parameters": item_id,
            "get": {"operationId": f"get_{section}", "tags": [name],
                    "responses": {"200": _response("the object", _ref(name)),
                                  "404": _NOT_FOUND, **common}},
            "put": {"operationId": f"replace_{section}", "tags": [name], "requestBody": body,
                    "responses": {"200": _response("replaced", _ref(name)), "422": _ERRORS,
                                  "404": _NOT_FOUND, "400": _BAD_BODY, "415": _BAD_BODY,
                                  **common}},
            "delete": {"operationId": f"delete_{section}", "tags": [name],
                       "responses": {"204": _response("deleted"), "404": _NOT_FOUND,
                                     "409": _response("still used: the errors say where",
                                                      _ref("Problems")), **common}}},
    }


_AUDIO_KINDS = list(FILE_KINDS.values())
_MEDIA_SCHEMAS = {
    "AudioFile": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "kind", "name", "selected", "duration_ms", "used_by"],
        "properties": {
            "id": _ID, "kind": {"type": "string", "enum": _AUDIO_KINDS}, "name": _TEXT,
            "selected": {"type": "boolean", "description": "the music on hold held parties "
                                                           "hear (one at most)"},
            "duration_ms": {"type": "integer", "minimum": 0},
            "used_by": {"type": "array", "items": {"type": "string"},
                        "description": "what uses the file (it cannot be deleted meanwhile)"}}},
    "Mailbox": {
        "type": "object", "additionalProperties": False,
        "required": ["number", "label", "mode", "email", "language", "pin_set", "greeting_id",
                     "messages", "locked_until"],
        "properties": {
            "number": _E164, "label": {"type": "string", "nullable": True},
            "mode": {"type": "string", "enum": list(VOICEMAIL_MODES)},
            "email": {"type": "string", "nullable": True},
            "language": {"type": "string", "enum": list(VOICEMAIL_LANGUAGES)},
            "pin_set": {"type": "boolean", "description": "whether a PIN is set (never the "
                                                          "PIN itself)"},
            "greeting_id": {"type": "integer", "nullable": True,
                            "description": "the own greeting (uploaded or recorded by phone), "
                                           "listened to at /audio/{audio_id}/file; null: the "
                                           "default one in the mailbox's language"},
            "messages": {"type": "object", "required": ["total", "new"],
                         "additionalProperties": False,
                         "properties": {"total": {"type": "integer", "minimum": 0},
                                        "new": {"type": "integer", "minimum": 0}}},
            "locked_until": {"type": "string", "nullable": True,
                             "description": "UTC date-time until which remote access is "
                                            "locked after wrong PINs"}}},
    "MailboxInput": {
        "type": "object", "additionalProperties": False,
        "description": "The settings to change; absent or null ones stay as they are.",
        "properties": {
            "number": _nullable({**_E164, "description": "ignored (the path says it)"}),
            "mode": _nullable({"type": "string", "enum": list(VOICEMAIL_MODES),
                               "description": "a voicemail used as a destination cannot be "
                                              "disabled"}),
            "language": _nullable({"type": "string", "enum": list(VOICEMAIL_LANGUAGES)}),
            "email": _nullable({"type": "string", "maxLength": 255,
                                "pattern": r"^$|^[^@\s]{1,64}@[A-Za-z0-9.-]{1,190}"
                                           r"\.[A-Za-z]{2,24}$",
                                "description": "voice-to-mail address; \"\" removes it"}),
            "pin": _nullable({"type": "string", "pattern": r"^[0-9]{4}$", "writeOnly": True,
                              "description": "4 digits, not trivial (0000, 1234…)"})}},
}


def _media_paths(auth_errors: dict) -> dict:
    """The Melodies, Announcements and Voicemail tabs' operations (webui/audio.py,
    webui/voicemail.py)."""
    audio_id = [{"name": "audio_id", "in": "path", "required": True,
                 "schema": {"type": "integer", "minimum": 1}}]
    number = [{"name": "number", "in": "path", "required": True, "schema": _E164}]
    upload = {"type": "object", "required": ["kind", "name", "file"], "properties": {
        "kind": {"type": "string", "enum": _AUDIO_KINDS},
        "name": {**_TEXT, "description": "a file of that kind and name is replaced"},
        "file": {"type": "string", "format": "binary",
                 "description": "WAV or MP3, at most 4 MB, checked by its content; at most "
                                "10 files of each kind"},
        "selected": {"type": "string", "enum": ["1", "true", "0", "false"],
                     "description": "music on hold only: the one held parties hear"}}}
    return {
        "/audio": {
            "get": {"operationId": "list_audio", "tags": ["Audio"],
                    "description": "Music on hold, ringback tones and announcements (the "
                                   "voicemail greetings are in /voicemail).",
                    "responses": {"200": _response("all of them", {
                        "type": "array", "items": _ref("AudioFile")}), **auth_errors}},
            "post": {"operationId": "upload_audio", "tags": ["Audio"],
                     "description": "Add a file, converted once to what calls play (8 kHz "
                                    "mono).",
                     "requestBody": {"required": True, "content": {
                         "multipart/form-data": {"schema": upload}}},
                     "responses": {"201": _response("added", _ref("AudioFile")),
                                   "422": _ERRORS,
                                   "413": _response("larger than the API accepts",
                                                    _ref("Error")), **auth_errors}}},
        "/audio/{audio_id}": {
            "parameters": audio_id,
            "delete": {"operationId": "delete_audio", "tags": ["Audio"],
                       "responses": {"204": _response("deleted"), "404": _NOT_FOUND,
                                     "409": _response("still used: the errors say where",
                                                      _ref("Problems")), **auth_errors}}},
        "/audio/{audio_id}/file": {
            "parameters": audio_id,
            "get": {"operationId": "audio_file", "tags": ["Audio"],
                    "description": "The stored WAV, as calls hear it (greetings included).",
                    "parameters": [{"name": "download", "in": "query", "required": False,
                                    "schema": {"type": "string", "enum": ["0", "1"]},
                                    "description": "1: as an attachment"}],
                    "responses": {"200": {"description": "the audio", "content": {
                        "audio/wav": {"schema": {"type": "string", "format": "binary"}}}},
                        "404": _NOT_FOUND, **auth_errors}}},
        "/voicemail": {
            "get": {"operationId": "list_voicemail", "tags": ["Voicemail"],
                    "description": "Every global number's mailbox.",
                    "responses": {"200": _response("all of them", {
                        "type": "array", "items": _ref("Mailbox")}), **auth_errors}}},
        "/voicemail/{number}": {
            "parameters": number,
            "get": {"operationId": "get_voicemail", "tags": ["Voicemail"],
                    "responses": {"200": _response("the mailbox", _ref("Mailbox")),
                                  "404": _NOT_FOUND, **auth_errors}},
            "put": {"operationId": "update_voicemail", "tags": ["Voicemail"],
                    "description": "Change a mailbox's settings (the greeting is uploaded "
                                   "in the Voicemail tab or recorded by phone).",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": _ref("MailboxInput")}}},
                    "responses": {"200": _response("changed", _ref("Mailbox")),
                                  "422": _ERRORS, "404": _NOT_FOUND, "400": _BAD_BODY,
                                  "415": _BAD_BODY, **auth_errors}}},
    }


_ASSIGNMENT = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "tenant", "block", "free", "used"],
    "properties": {
        "id": _ID, "tenant": {"type": "string", "description": "the tenant's short name"},
        "block": {"type": "string", "example": "+41215667900-+41215667999",
                  "description": "one number, a range of numbers of the same length, or a "
                                 "prefix followed by *"},
        "free": {"type": "integer", "nullable": True, "minimum": 0,
                 "description": "how many of its numbers are free (null for a prefix)"},
        "used": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["number", "kind", "detail"],
            "properties": {"number": _E164,
                           "kind": {"type": "string", "enum": ["number", "user"],
                                    "description": "a global number, or a user's direct "
                                                   "number"},
                           "detail": {"type": "string", "nullable": True,
                                      "description": "the number's label, or the user's "
                                                     "extension and name"}}}}}}


def _platform_paths() -> dict:
    """The operators' operations (webui/api_platform.py): an operator's token only."""
    errors = {"401": _UNAUTHORIZED,
              "404": _response("not an operator's token (or, for an id, no such "
                               "assignment)", _ref("Error"))}
    body = {"type": "object", "additionalProperties": False, "required": ["tenant", "block"],
            "properties": {"tenant": {"type": "string", "minLength": 1},
                           "block": {"type": "string", "minLength": 1,
                                     "example": "+41215667900-+41215667999"}}}
    return {
        "/platform/numbers": {
            "get": {"operationId": "list_number_assignments", "tags": ["Platform"],
                    "description": "The numbers assigned to tenants (operators only).",
                    "responses": {"200": _response("every assignment", {
                        "type": "array", "items": _ref("NumberAssignment")}), **errors}},
            "post": {"operationId": "assign_numbers", "tags": ["Platform"],
                     "description": "Assign numbers to a tenant: it may then use them as "
                                    "global numbers, direct numbers and caller ID.",
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": body}}},
                     "responses": {"201": _response("assigned", _ref("NumberAssignment")),
                                   "422": _ERRORS, "400": _BAD_BODY, "415": _BAD_BODY,
                                   **errors}}},
        "/platform/numbers/{assignment_id}": {
            "parameters": [{"name": "assignment_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1}}],
            "delete": {"operationId": "unassign_numbers", "tags": ["Platform"],
                       "responses": {"204": _response("the numbers are the carrier's again"),
                                     "409": _response("a number of the block is still used",
                                                      _ref("Problems")), **errors}}},
    }


def openapi_document() -> dict:
    paths = {}
    for section, (path, _key) in SECTIONS.items():
        paths.update(_paths_of(section, path))
    auth_errors = {"401": _UNAUTHORIZED, "403": _response("not a tenant administrator's token",
                                                          _ref("Error"))}
    paths["/tenant"] = {
        "get": {"operationId": "get_tenant", "tags": ["Tenant"],
                "responses": {"200": _response("the tenant's settings", _ref("Tenant")),
                              **auth_errors}},
        "patch": {"operationId": "update_tenant", "tags": ["Tenant"],
                  "requestBody": {"required": True, "content": {"application/json": {
                      "schema": {"type": "object", "additionalProperties": False,
                                 "properties": {key: _nullable(value) for key, value in {
                                     "name": _TEXT,
                                     "timezone": {"type": "string", "example": "Europe/Zurich"},
                                     "access_code": {"type": "boolean"}}.items()}}}}},
                  "responses": {"200": _response("changed", _ref("Tenant")), "422": _ERRORS,
                                "400": _BAD_BODY, "415": _BAD_BODY, **auth_errors}}}
    paths["/simulate"] = {"get": {
        "operationId": "simulate", "tags": ["Call flow"],
        "description": "What a call would do (the engine of the live routing, as `vpbx "
                       "simulate --json`).",
        "parameters": [
            {"name": "number", "in": "query", "required": True,
             "schema": {"type": "string"}, "description": "a global number or a group's "
                                                          "short number"},
            {"name": "at", "in": "query", "required": True,
             "schema": {"type": "string", "example": "2027-03-24T09:15"},
             "description": "ISO date-time, the tenant's zone unless it has an offset"},
            {"name": "live", "in": "query", "required": False,
             "schema": {"type": "boolean"},
             "description": "use the members' real registration and call state"}],
        "responses": {"200": _response("the plan", _ref("Plan")),
                      "404": _response("not a number of yours", _ref("Problems")),
                      "422": _response("unusable date-time, or live state unavailable",
                                       _ref("Problems")), **auth_errors}}}
    paths["/monitor"] = {"get": {
        "operationId": "monitor", "tags": ["Monitor"],
        "responses": {"200": _response("the activity monitor now", _ref("Monitor")),
                      **auth_errors}}}
    paths["/calls"] = {"get": {
        "operationId": "calls", "tags": ["Call records"],
        "description": "The tenant's call records, newest first (at most 500); times in ISO 8601"
                       " with the UTC offset of the tenant's time zone; from/to are days there.",
        "parameters": [
            {"name": "from", "in": "query", "required": False,
             "schema": {"type": "string", "format": "date"}},
            {"name": "to", "in": "query", "required": False,
             "schema": {"type": "string", "format": "date"}},
            {"name": "number", "in": "query", "required": False, "schema": {"type": "string"}},
            {"name": "user", "in": "query", "required": False, "schema": {"type": "string"}},
            {"name": "outcome", "in": "query", "required": False,
             "schema": {"type": "string", "enum": ["answered", "missed", "busy", "failed",
                                                   "voicemail", "announcement"]}}],
        "responses": {"200": _response("the matching calls",
                                       {"type": "array", "items": _ref("CallRecord")}),
                      "422": _response("a filter that is not usable", _ref("Problems")),
                      **auth_errors}}}
    paths.update(_media_paths(auth_errors))
    paths.update(_platform_paths())
    paths["/openapi.json"] = {"get": {
        "operationId": "openapi", "tags": ["API"], "security": [],
        "description": "This document (no token needed).",
        "responses": {"200": _response("the OpenAPI document", {"type": "object"})}}}
    schemas = {"Destination": DESTINATION, "NumberAssignment": _ASSIGNMENT, **_MEDIA_SCHEMAS}
    for name in _ENTRIES:
        schemas[name] = _stored_schema(name)
        schemas[f"{name}Input"] = _input_schema(name)
    nullable_text = {"type": "string", "nullable": True}
    schemas.update({
        "CallRecord": {"type": "object", "required": ["call_id", "on_net", "duration_s"],
                       "properties": {
                           "call_id": {"type": "string"}, "started_at": nullable_text,
                           "answered_at": nullable_text, "ended_at": nullable_text,
                           "caller": nullable_text, "dialled": nullable_text,
                           "callee": nullable_text, "outcome": nullable_text,
                           "duration_s": {"type": "integer"}, "group_name": nullable_text,
                           "member": nullable_text, "on_net": {"type": "boolean"},
                           "route": nullable_text}},
        "Error": {"type": "object", "required": ["error"],
                  "properties": {"error": {"type": "string"}}},
        "Problems": {"type": "object", "required": ["errors"], "properties": {"errors": {
            "type": "array", "items": {"type": "object", "required": ["field", "message"],
                                       "properties": {"field": {"type": "string",
                                                                "nullable": True},
                                                      "message": {"type": "string"}}}}}},
        "Tenant": {"type": "object",
                   "required": ["tenant", "name", "domain", "timezone", "access_code"],
                   "properties": {"tenant": {"type": "string"}, "name": {"type": "string"},
                                  "domain": {"type": "string"},
                                  "timezone": {"type": "string"},
                                  "access_code": {"type": "boolean"}}},
        "Plan": {"type": "object", "required": ["tenant", "number", "steps"], "properties": {
            "tenant": {"type": "string"}, "number": {"type": "string"},
            "at": {"type": "string"}, "range": {"type": "string"},
            "steps": {"type": "array", "items": {
                "type": "object", "required": ["kind"], "properties": {
                    "kind": {"type": "string", "enum": ["group", "voicemail", "announcement",
                                                        "number", "hangup"]},
                    "name": {"type": "string"}, "distribution": {"type": "string"},
                    "reason": {"type": "string"},
                    "ring": {"type": "array", "items": {
                        "type": "object", "required": ["members", "seconds"],
                        "properties": {"members": {"type": "array",
                                                   "items": {"type": "string"}},
                                       "seconds": {"type": "integer"},
                                       "wait": {"type": "integer", "description":
                                                "seconds of ringback before this ring (a "
                                                "member rang for the call < 6 s ago)"}}}}}}}}},
        "Monitor": {"type": "object",
                    "required": ["at", "range", "absent_users", "unavailable_phones",
                                 "busy_known", "groups"],
                    "properties": {
                        "at": {"type": "string"}, "range": {"type": "string"},
                        "absent_users": {"type": "integer"},
                        "unavailable_phones": {"type": "integer"},
                        "busy_known": {"type": "boolean"},
                        "groups": {"type": "array", "items": {
                            "type": "object", "properties": {
                                "name": {"type": "string"},
                                "short_number": {"type": "integer"},
                                "members": {"type": "array", "items": {
                                    "type": "object", "properties": {
                                        "extension": {"type": "string"},
                                        "name": {"type": "string"},
                                        "phones": {"type": "integer"},
                                        "state": {"type": "string",
                                                  "enum": ["registered", "absent",
                                                           "busy"]}}}}}}},
                        "lockouts": {
                            "type": "array", "nullable": True,
                            "description": "addresses refused for a user after too many "
                                           "wrong passwords (null: the SIP edge does not "
                                           "answer)",
                            "items": {"type": "object", "properties": {
                                "address": {"type": "string"},
                                "username": {"type": "string"},
                                "extension": {"type": "string", "nullable": True},
                                "name": {"type": "string", "nullable": True}}}},
                        "attacks": {
                            "type": "array", "nullable": True,
                            "description": "users whose password is being guessed from many "
                                           "addresses (null: the SIP edge does not answer)",
                            "items": {"type": "object", "properties": {
                                "username": {"type": "string"},
                                "extension": {"type": "string", "nullable": True},
                                "name": {"type": "string", "nullable": True},
                                "failures": {"type": "integer"}}}}}},
    })
    return {
        "openapi": "3.0.3",
        "info": {"title": "Virtual PBX tenant administration API", "version": "1",
                 "description": "A tenant's configuration (users, time ranges, holidays, "
                                "groups, global numbers, audio files, voicemail), the "
                                "call-flow preview, the activity monitor and the call "
                                "records. Same rules as the web UI and `vpbx apply`."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {
                           "type": "http", "scheme": "bearer",
                           "description": "A token of a tenant administrator, made on the "
                                          "account page with a lifetime (7 to 365 days, or "
                                          "none); past it, 401."}}},
    }
