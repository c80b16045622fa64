"""Sphinx extension: drop repeated script and stylesheet entries from every page.

With Sphinx 7.4 and the extensions Jupyter Book 1 loads, assets registered at ``builder-inited`` or
``env-before-read-docs`` (sphinx-togglebutton's selector, sphinx-thebe's configuration) end up
twice in each page's ``<head>``. The repeated ``const THEBE_JS_URL`` declaration is a JavaScript
error on every page; keeping the first of identical entries fixes it and changes nothing else.
"""


def _key(asset):
    # The same inline script comes once with filename None (added to the builder) and once with ""
    # (copied from the registry): compare what ends up in the page.
    return (asset.filename or "", asset.priority, tuple(sorted(asset.attributes.items())))


def _dedupe(app, pagename, templatename, context, doctree):
    for name in ("script_files", "css_files"):
        if name in context:
            seen, kept = set(), []
            for asset in context[name]:
                if _key(asset) not in seen:
                    seen.add(_key(asset))
                    kept.append(asset)
            context[name] = kept


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
