from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from actions.selectors import (
    approval_blockers,
    needs_no_actions_confirmation,
    postmortem_action_items,
)
from core.forms import SECTION_MAX_LENGTH
from core.lists import filtered_list_context
from core.markdown import render_markdown
from core.models import Role
from incidents.models import Incident
from incidents.selectors import incident_timeline, similar_incidents
from postmortems import review
from postmortems.blameless import compiled_phrases, find_blame, find_blame_in_sections
from postmortems.diff import diff_sections
from postmortems.export import postmortem_as_markdown
from postmortems.forms import (
    ApproveForm,
    CoAuthorsForm,
    CommentForm,
    LibraryFilterForm,
    PostmortemFilterForm,
    PublishForm,
    RequestChangesForm,
    RequestReviewForm,
    SectionsForm,
    StartPostmortemForm,
)
from postmortems.models import Comment, Postmortem, PostmortemStatus, Revision
from postmortems.sections import SECTION_FIELDS, SECTIONS_BY_FIELD
from postmortems.selectors import (
    activity_feed,
    library,
    postmortem_for_reference,
    postmortem_list,
    public_summaries,
    review_queue,
    review_threads,
    revision_list,
)
from postmortems.services import (
    PostmortemError,
    StaleEdit,
    postmortem_create,
    postmortem_save_sections,
    revision_restore,
)


def _get_postmortem_for_read(request, reference: str) -> Postmortem:
    postmortem = postmortem_for_reference(reference)
    if not postmortem.can_read(request.user):
        raise PermissionDenied(
            _("This postmortem is still a draft: only its writers, reviewers and staff read it.")
        )
    return postmortem


def _get_postmortem_for_edit(request, reference: str) -> Postmortem:
    postmortem = postmortem_for_reference(reference)
    if not postmortem.can_edit(request.user):
        raise PermissionDenied(_("Only the author, co-authors, reviewers and staff may edit this."))
    return postmortem


def _may_start_postmortem(user, incident: Incident) -> bool:
    return user.has_role(Role.AUTHOR) or incident.can_edit(user)


def postmortem_list_view(request):
    context = filtered_list_context(
        request, PostmortemFilterForm, postmortem_list, user=request.user
    )
    return render(request, "postmortems/postmortem_list.html", context)


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
    postmortem = _get_postmortem_for_read(request, reference)
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
            "open_comments": review.open_threads(postmortem).count(),
            "similar": similar_incidents(incident),
            "activity": activity_feed(postmortem, limit=10),
            "action_items": postmortem_action_items(postmortem),
        },
    )


@require_http_methods(["GET", "POST"])
def postmortem_edit(request, reference, section=None):
    postmortem = _get_postmortem_for_edit(request, reference)
    if section is not None and section not in SECTIONS_BY_FIELD:
        raise Http404(_("This postmortem has no section called %(name)s.") % {"name": section})

    amending = postmortem.status == PostmortemStatus.PUBLISHED

    def make_form(*args, **kwargs):
        if section:
            return SectionsForm.for_section(section, *args, amending=amending, **kwargs)
        return SectionsForm(*args, amending=amending, **kwargs)

    if request.method == "GET" and not postmortem.is_editable_state:
        messages.warning(
            request,
            _("It was approved as it stands, so its text is frozen until it is published."),
        )

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
                amendment_reason=form.reason_for_amendment(),
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
        except PostmortemError as refusal:
            form.add_error(None, str(refusal))
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
    if len(text) > SECTION_MAX_LENGTH:
        too_long = _(
            "Too long to preview: keep a section under %(limit)s characters (this has %(length)s)."
        ) % {"limit": SECTION_MAX_LENGTH, "length": len(text)}
        return render(request, "postmortems/includes/_preview.html", {"too_long": too_long})
    return render(
        request,
        "postmortems/includes/_preview.html",
        {"html": render_markdown(text), "hits": find_blame(text, compiled_phrases())},
    )


def postmortem_history(request, reference):
    postmortem = _get_postmortem_for_read(request, reference)
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
    postmortem = _get_postmortem_for_read(request, reference)
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
    postmortem = _get_postmortem_for_read(request, reference)
    response = HttpResponse(
        postmortem_as_markdown(postmortem), content_type="text/markdown; charset=utf-8"
    )
    filename = f"{postmortem.incident.reference}-postmortem.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


REVIEW_ACTIONS = {
    "request_review": RequestReviewForm,
    "request_changes": RequestChangesForm,
    "approve": ApproveForm,
    "publish": PublishForm,
    "comment": CommentForm,
}


def _review_forms(postmortem, bound_action=None, data=None) -> dict:
    forms = {}
    for action, form_class in REVIEW_ACTIONS.items():
        kwargs = {"postmortem": postmortem} if form_class is RequestReviewForm else {}
        if action == "publish" and action != bound_action:
            kwargs["initial"] = {
                "public_title": postmortem.public_title,
                "public_summary": postmortem.public_summary,
            }
        forms[action] = form_class(data if action == bound_action else None, **kwargs)
    return forms


def _perform_review_action(action, form, postmortem, user):
    data = form.cleaned_data
    if action == "request_review":
        review.request_review(postmortem=postmortem, actor=user, reviewers=data["reviewers"])
        return _("Review requested.")
    if action == "request_changes":
        review.request_changes(postmortem=postmortem, actor=user, comment=data["comment"])
        return _("Changes requested; the writers have been told.")
    if action == "approve":
        approved = review.approve(
            postmortem=postmortem,
            actor=user,
            override_reason=data["override_reason"],
            no_actions_needed=data["no_actions_needed"],
        )
        if approved.status == PostmortemStatus.APPROVED:
            return _("Approved. The writers can publish it now.")
        return _("Your approval is recorded; it needs more approvals.")
    if action == "publish":
        review.publish(postmortem=postmortem, actor=user, **data)
        return _("Published to the organisation.")
    parent = None
    if data.get("parent"):
        parent = get_object_or_404(Comment, pk=data["parent"], postmortem=postmortem)
    review.add_comment(
        postmortem=postmortem,
        actor=user,
        body=data["body"],
        section=data["section"],
        parent=parent,
    )
    return _("Comment posted.")


@require_http_methods(["GET", "POST"])
def postmortem_review(request, reference):
    """The review page: state, reviewers, gates, comments and activity, and every review action.

    A refused action re-renders the page with the form as typed and the reason it was refused.
    """
    postmortem = _get_postmortem_for_read(request, reference)
    action = request.POST.get("action") if request.method == "POST" else None
    if action is not None and action not in REVIEW_ACTIONS:
        return HttpResponse(status=400)
    forms = _review_forms(postmortem, action, request.POST if action else None)
    if action:
        form = forms[action]
        if form.is_valid():
            try:
                message = _perform_review_action(action, form, postmortem, request.user)
            except PostmortemError as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, message)
                return redirect("postmortems:review", reference=reference)
    threads = review_threads(postmortem)
    return render(
        request,
        "postmortems/postmortem_review.html",
        {
            "postmortem": postmortem,
            "incident": postmortem.incident,
            "forms": forms,
            "failed_action": action,
            "threads": threads,
            "open_count": sum(1 for thread in threads if thread.is_open),
            "activity": activity_feed(postmortem),
            "review_requests": postmortem.review_requests.select_related("reviewer"),
            "required_approvals": settings.POSTMORTEM_REQUIRED_APPROVALS,
            "empty_sections": postmortem.empty_required_sections(),
            "action_blockers": approval_blockers(postmortem),
            "no_action_items": needs_no_actions_confirmation(postmortem),
            "is_writer": postmortem.is_writer(request.user) or request.user.is_staff,
            "may_review": review.may_review(postmortem, request.user),
            "can_edit": postmortem.can_edit(request.user),
        },
    )


@require_POST
def comment_resolve(request, reference, pk):
    postmortem = _get_postmortem_for_read(request, reference)
    comment = get_object_or_404(Comment, pk=pk, postmortem=postmortem)
    resolved = request.POST.get("resolved") == "1"
    try:
        review.set_comment_resolved(comment=comment, actor=request.user, resolved=resolved)
    except PostmortemError as refusal:
        raise PermissionDenied(str(refusal)) from refusal
    messages.success(request, _("Thread resolved.") if resolved else _("Thread reopened."))
    return redirect(f"{reverse('postmortems:review', args=[reference])}#comment-{comment.pk}")


def review_queue_view(request):
    return render(request, "postmortems/review_queue.html", review_queue(request.user))


def library_view(request):
    context = filtered_list_context(request, LibraryFilterForm, library)
    return render(request, "postmortems/library.html", context)


@login_not_required
def public_list(request):
    page = Paginator(public_summaries(), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "postmortems/public_list.html", {"page": page})


@login_not_required
def public_detail(request, public_id):
    summary = get_object_or_404(public_summaries(), public_id=public_id)
    return render(request, "postmortems/public_detail.html", {"summary": summary})
