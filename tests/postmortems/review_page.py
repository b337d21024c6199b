"""Helpers for the one-page review tests: write sections as a writer would, post comments."""

from django.urls import reverse

from postmortems.services import postmortem_save_sections


def review_url(postmortem):
    return reverse("postmortems:review", args=[postmortem.incident.reference])


def write(postmortem, editor, **texts):
    """Save sections through the ordinary editing path (a new revision); the fresh postmortem."""
    postmortem.refresh_from_db()
    saved, _revision = postmortem_save_sections(
        postmortem_id=postmortem.pk, editor=editor, texts=texts, loaded_version=postmortem.version
    )
    return saved


def comment_on(client, postmortem, *, section, quote="", body="Why?", **extra):
    return client.post(
        review_url(postmortem),
        {
            "action": "comment",
            "from_section": "1",
            "section": section,
            "quote": quote,
            "body": body,
            **extra,
        },
    )
