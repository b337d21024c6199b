"""More sections of a person's Settings page, from the apps above core (which this app must
not import): each registers a form class at start-up, in its AppConfig.ready.

The page builds each as ``form_class(data, user=user)``, shows it below the account form under
its ``legend`` (and ``help_text``), and saves them all together when every one is valid, with
``form.save()``. What ``save()`` returns, if anything, is shown once on the page after saving
(e.g. a new API token, which is kept nowhere else).
"""

_sections: list[type] = []


def register_section(form_class: type) -> None:
    if form_class not in _sections:
        _sections.append(form_class)


def sections_for(user, data=None) -> list:
    return [form_class(data, user=user) for form_class in _sections]
