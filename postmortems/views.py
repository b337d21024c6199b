from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from actions.selectors import postmortem_action_items
from core.markdown import render_markdown
from core.models import Role
from incidents.models import Incident
from incidents.selectors import incident_timeline
from postmortems.blameless import compiled_phrases, find_blame, find_blame_in_sections
from postmortems.diff import diff_sections
from postmortems.export import postmortem_as_markdown
from postmortems.forms import CoAuthorsForm, PostmortemFilterForm, SectionsForm, StartPostmortemForm
from postmortems.models import Postmortem, Revision
from postmortems.sections import SECTION_FIELDS, SECTIONS_BY_FIELD
from postmortems.selectors import postmortem_for_reference, postmortem_list, revision_list
from postmortems.services import (
    PostmortemError,
    StaleEdit,
    postmortem_create,
    postmortem_save_sections,
    revision_restore,
)


def _get_postmortem_for_edit(request, reference: str) -> Postmortem:
    postmortem = postmortem_for_reference(reference)
    if not postmortem.can_edit(request.user):
        raise PermissionDenied(_("Only the author, co-authors, reviewers and staff may edit this."))
    return postmortem


def _may_start_postmortem(user, incident: Incident) -> bool:
    return user.has_role(Role.AUTHOR) or incident.can_edit(user)


def postmortem_list_view(request):
    filter_form = PostmortemFilterForm(request.GET or None)
    postmortems = postmortem_list(filters=filter_form.filters() if request.GET else {})
    page = Paginator(postmortems, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "postmortems/postmortem_list.html",
        {"filter_form": filter_form, "page": page, "is_filtered": bool(request.GET)},
    )


@require_http_methods(["GET", "POST"])
def postmortem_start(request, reference):
    incident = get_object_or_404(Incident, number=Incident.number_from_reference(reference) or -1)
    if Postmortem.objects.filter(incident=incident).exists():
        return redirect(incident.postmortem)
    if not _may_start_postmortem(request.user, incident):
        raise PermissionDenied(
            _("Only Authors and the incident's responders may start its postmortem.")
        )
    form = StartPostmortemForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            postmortem_create(
                incident=incident, author=request.user, template=form.cleaned_data["template"]
            )
        except PostmortemError as error:
            messages.error(request, str(error))
            return redirect(incident)
        messages.success(
            request, _("Postmortem started. The prompts are hidden until you replace them.")
        )
        return redirect("postmortems:edit", reference=incident.reference)
    return render(
        request, "postmortems/postmortem_start.html", {"form": form, "incident": incident}
    )


def postmortem_detail(request, reference):
    postmortem = postmortem_for_reference(reference)
    incident = postmortem.incident
    entries, show_dates = incident_timeline(incident)
    can_edit = postmortem.can_edit(request.user)
    for entry in entries:
        entry.editable = entry.can_edit(request.user)
    return render(
        request,
        "postmortems/postmortem_detail.html",
        {
            "postmortem": postmortem,
            "incident": incident,
            "services": incident.services.all(),
            "entries": entries,
            "show_dates": show_dates,
            "can_edit": can_edit,
            "can_edit_postmortem": can_edit,
            "blame_hits": find_blame_in_sections(postmortem.section_texts(), compiled_phrases()),
            "action_items": postmortem_action_items(postmortem),
        },
    )


@require_http_methods(["GET", "POST"])
def postmortem_edit(request, reference, section=None):
    postmortem = _get_postmortem_for_edit(request, reference)
    if section is not None and section not in SECTIONS_BY_FIELD:
        raise Http404(_("This postmortem has no section called %(name)s.") % {"name": section})

    def make_form(*args, **kwargs):
        if section:
            return SectionsForm.for_section(section, *args, **kwargs)
        return SectionsForm(*args, **kwargs)

    initial = {"version": postmortem.version, **postmortem.section_texts()}
    form = make_form(request.POST if request.method == "POST" else None, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            _postmortem, revision = postmortem_save_sections(
                postmortem_id=postmortem.pk,
                editor=request.user,
                texts=form.texts(),
                loaded_version=form.cleaned_data["version"],
            )
        except StaleEdit as stale:
            conflict = _conflict_context(stale, form.cleaned_data["version"])
            # Keep every typed word; move the form to the current version so the next save
            # (after merging) goes through.
            data = request.POST.copy()
            data["version"] = stale.postmortem.version
            form = make_form(data, initial=initial)
            form.is_valid()
            form.add_error(None, str(stale))
        else:
            if revision is None:
                messages.info(request, _("No changes to save."))
            else:
                messages.success(
                    request, _("Saved as version %(number)s.") % {"number": revision.number}
                )
            return redirect(postmortem)
    return render(
        request,
        "postmortems/postmortem_edit.html",
        {
            "postmortem": postmortem,
            "incident": postmortem.incident,
            "form": form,
            "section": SECTIONS_BY_FIELD.get(section),
            "conflict": conflict,
        },
    )


def _conflict_context(stale: StaleEdit, loaded_version: int) -> dict:
    current = stale.postmortem
    loaded = current.revisions.filter(number=loaded_version).first()
    changes = diff_sections(loaded.content if loaded else {}, current.section_texts())
    editors = (
        current.revisions.filter(number__gt=loaded_version)
        .select_related("author")
        .order_by("number")
    )
    return {"changes": changes, "revisions": list(editors)}


@require_POST
def postmortem_preview(request):
    """Live preview while typing: the text through the one sanitising pipeline, plus blameless hints."""
    field = request.POST.get("field", "")
    if field not in SECTION_FIELDS:
        return HttpResponse(status=400)
    text = request.POST.get(field, "")
    return render(
        request,
        "postmortems/includes/_preview.html",
        {"html": render_markdown(text), "hits": find_blame(text, compiled_phrases())},
    )


def postmortem_history(request, reference):
    postmortem = postmortem_for_reference(reference)
    revisions = Paginator(revision_list(postmortem), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "postmortems/postmortem_history.html",
        {
            "postmortem": postmortem,
            "incident": postmortem.incident,
            "page": revisions,
            "can_edit": postmortem.can_edit(request.user),
        },
    )


def postmortem_compare(request, reference):
    postmortem = postmortem_for_reference(reference)
    try:
        old_number = int(request.GET.get("from", ""))
        new_number = int(request.GET.get("to", ""))
    except ValueError:
        messages.error(request, _("Choose two revisions to compare."))
        return redirect("postmortems:history", reference=reference)
    revisions = {
        r.number: r for r in revision_list(postmortem).filter(number__in=[old_number, new_number])
    }
    if old_number not in revisions or new_number not in revisions:
        raise Http404(_("That revision does not exist."))
    old, new = revisions[old_number], revisions[new_number]
    return render(
        request,
        "postmortems/postmortem_compare.html",
        {
            "postmortem": postmortem,
            "incident": postmortem.incident,
            "old": old,
            "new": new,
            "changes": diff_sections(old.content, new.content),
        },
    )


@require_POST
def postmortem_restore(request, reference, number):
    postmortem = _get_postmortem_for_edit(request, reference)
    try:
        revision = revision_restore(
            postmortem_id=postmortem.pk, revision_number=number, editor=request.user
        )
    except Revision.DoesNotExist:
        raise Http404(_("That revision does not exist.")) from None
    except PostmortemError as error:
        messages.info(request, str(error))
        return redirect("postmortems:history", reference=reference)
    messages.success(
        request,
        _("Revision %(old)s restored as version %(new)s.")
        % {"old": number, "new": revision.number},
    )
    return redirect(postmortem)


@require_http_methods(["GET", "POST"])
def postmortem_people(request, reference):
    postmortem = postmortem_for_reference(reference)
    if not (request.user.is_staff or request.user.pk == postmortem.author_id):
        raise PermissionDenied(
            _("Only the author and staff may change who writes this postmortem.")
        )
    form = CoAuthorsForm(
        request.POST if request.method == "POST" else None,
        initial={"co_authors": list(postmortem.co_authors.all())},
    )
    if request.method == "POST" and form.is_valid():
        postmortem.co_authors.set(form.cleaned_data["co_authors"])
        messages.success(request, _("Co-authors saved."))
        return redirect(postmortem)
    return render(
        request,
        "postmortems/postmortem_people.html",
        {"postmortem": postmortem, "incident": postmortem.incident, "form": form},
    )


def postmortem_export(request, reference):
    postmortem = postmortem_for_reference(reference)
    response = HttpResponse(
        postmortem_as_markdown(postmortem), content_type="text/markdown; charset=utf-8"
    )
    filename = f"{postmortem.incident.reference}-postmortem.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
