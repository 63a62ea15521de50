"""The Directory tab (guide §11): not available yet; the tenant's users, who will be its
internal contacts, are listed."""
from .tabs import not_yet_blueprint

bp = not_yet_blueprint("directory", "/directory", "tabs/directory.html")
