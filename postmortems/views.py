from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from actions.selectors import approval_gate, postmortem_action_items
from core.forms import SECTION_MAX_LENGTH
from core.lists import filtered_list_context, kept_count
from core.markdown import render_markdown_for_writer
from core.models import Role
from core.pdf import html_as_pdf
from core.snapshots import snapshot
from incidents.models import Incident
from incidents.selectors import incident_timeline
from incidents.similarity import similar_for_page
from postmortems import amendments, requirements, review, survey
from postmortems.blameless import compiled_phrases, find_blame, find_blame_in_sections
from postmortems.diff import diff_sections
from postmortems.export import postmortem_as_markdown
from postmortems.factors import factor_add, factor_remove, factor_update, postmortem_factors
from postmortems.forms import (
    AmendmentTextForm,
    ApproveAmendmentForm,
    ApproveForm,
    CoAuthorsForm,
    CommentForm,
    ExemptionForm,
    FactorForm,
    LibraryFilterForm,
    PostmortemFilterForm,
    PublishForm,
    ReasonForm,
    RequestChangesForm,
    RequestReviewForm,
    ReviewQueueFilterForm,
    SectionsForm,
    StartAmendmentForm,
    StartPostmortemForm,
    WithdrawApprovalForm,
)
from postmortems.models import Comment, ContributingFactor, Postmortem, PostmortemStatus, Revision
from postmortems.sections import AMENDABLE_SECTIONS, SECTION_FIELDS, SECTIONS_BY_FIELD
from postmortems.selectors import (
    activity_feed,
    amendment_list,
    changes_since_review,
    factors_for_readers,
    library,
    postmortem_for_reference,
    postmortem_list,
    public_summaries,
    published_incident,
    review_document,
    review_queue,
    review_threads,
    reviewer_panel,
    revision_list,
)
from postmortems.services import (
    AlreadyStarted,
    PostmortemError,
    StaleEdit,
    changed_in_round,
    document_change_refusal,
    open_amendment,
    postmortem_create,
    postmortem_save_sections,
    postmortem_set_co_authors,
    revision_restore,
)


def _restricted_404(request, incident: Incident) -> None:
    """A restricted incident's postmortem answers as if it did not exist to whoever may not see
    the incident: its existence does not leak."""
    if not incident.can_view(request.user):
        raise Http404(_("No postmortem for this incident yet."))


def _get_postmortem_for_read(request, reference: str) -> Postmortem:
    postmortem = postmortem_for_reference(reference)
    _restricted_404(request, postmortem.incident)
    if not postmortem.can_read(request.user):
        raise PermissionDenied(
            _("This postmortem is still a draft: only its writers, reviewers and staff read it.")
        )
    return postmortem


def _get_postmortem_for_edit(request, reference: str) -> Postmortem:
    postmortem = postmortem_for_reference(reference)
    _restricted_404(request, postmortem.incident)
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
    _restricted_404(request, incident)
    if Postmortem.objects.filter(incident=incident).exists():
        if request.method == "POST":
            messages.info(request, str(AlreadyStarted(postmortem=incident.postmortem)))
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
        except AlreadyStarted as started:
            messages.info(request, str(started))
            return redirect(started.postmortem)
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


def _document_open(postmortem) -> bool:
    """Its sections may be edited in place: not approved (frozen) and not published (amended)."""
    return postmortem.status not in (PostmortemStatus.APPROVED, PostmortemStatus.PUBLISHED)


def postmortem_detail(request, reference):
    postmortem = _get_postmortem_for_read(request, reference)
    may_edit = postmortem.can_edit(request.user)
    can_edit = may_edit and _document_open(postmortem)
    is_published = postmortem.status == PostmortemStatus.PUBLISHED
    published = published_incident(postmortem)
    if published is not None:
        # Readers see the facts and timeline as published, never unapproved changes.
        incident, services, entries = published
        show_dates = len({timezone.localtime(e.occurred_at).date() for e in entries}) > 1
    else:
        incident = postmortem.incident
        services = incident.services.all()
        entries, show_dates = incident_timeline(incident)
        for entry in entries:
            entry.editable = can_edit and entry.can_edit(request.user)
    amendment_history = amendment_list(postmortem) if is_published else []
    # The questionnaire's counts and the reader's invitation, once published: one query.
    survey_summary = survey.summary(postmortem, request.user) if is_published else None
    return render(
        request,
        "postmortems/postmortem_detail.html",
        {
            "postmortem": postmortem,
            "incident": incident,
            "services": services,
            "entries": entries,
            "show_dates": show_dates,
            "can_edit": can_edit,
            "can_edit_postmortem": can_edit,
            "may_amend": is_published and amendments.may_amend(postmortem, request.user),
            "may_withdraw_approval": postmortem.status == PostmortemStatus.APPROVED
            and (request.user.is_staff or postmortem.is_writer(request.user)),
            # Only a published postmortem has amendments; at most one of them is open.
            "open_amendment": next((a for a in amendment_history if a.is_open), None),
            "amendments": amendment_history,
            "reviewers": reviewer_panel(postmortem),
            "blame_hits": find_blame_in_sections(postmortem.section_texts(), compiled_phrases()),
            "open_comments": review.open_threads(postmortem).count(),
            "similar": similar_for_page(postmortem.incident, request.user),
            "activity": activity_feed(postmortem, limit=10),
            "action_items": postmortem_action_items(postmortem),
            # The questionnaire about the review, once published (postmortems/survey.py).
            "survey_results": survey_summary,
            "may_answer": survey_summary is not None and survey_summary.may_answer,
            "has_answered": survey_summary is not None and survey_summary.has_answered,
            # Readers of a published postmortem see its factors as published.
            "factors": factors_for_readers(postmortem),
            "shown_entry_ids": {entry.pk for entry in entries},
            "may_change_factors": may_edit and not document_change_refusal(postmortem),
        },
    )


@require_http_methods(["GET", "POST"])
def postmortem_edit(request, reference, section=None):
    postmortem = _get_postmortem_for_edit(request, reference)
    if section is not None and section not in SECTIONS_BY_FIELD:
        raise Http404(_("This postmortem has no section called %(name)s.") % {"name": section})

    def make_form(*args, **kwargs):
        kwargs["guidance"] = postmortem.template.guidance() if postmortem.template else {}
        if section:
            return SectionsForm.for_section(section, *args, **kwargs)
        return SectionsForm(*args, **kwargs)

    if request.method == "GET" and postmortem.status == PostmortemStatus.PUBLISHED:
        messages.info(
            request,
            _("It is published: changes are made in an amendment, which a reviewer approves."),
        )
        return redirect("postmortems:amendment", reference=reference)
    if request.method == "GET" and postmortem.status == PostmortemStatus.APPROVED:
        messages.warning(
            request,
            _(
                "It was approved as it stands, so its text is frozen. Publish it, or withdraw "
                "the approval (with a reason) to change it."
            ),
        )
        return redirect(postmortem)

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
            # Contributing factors are edited below the sections, in forms of their own.
            **({} if section else _factor_panel(postmortem, return_to="edit")),
        },
    )


# Contributing factors --------------------------------------------------------------------------


def _factor_panel(postmortem, *, form=None, return_to="factors") -> dict:
    refusal = document_change_refusal(postmortem)
    return {
        "factors": postmortem_factors(postmortem),
        "factor_form": None if refusal else form or FactorForm(postmortem=postmortem),
        "factors_refusal": refusal,
        "return_to": return_to,
    }


def _after_factor_change(request, postmortem):
    if request.POST.get("return_to") == "edit" and _document_open(postmortem):
        return redirect(
            f"{reverse('postmortems:edit', args=[postmortem.incident.reference])}#factors"
        )
    return redirect("postmortems:factors", reference=postmortem.incident.reference)


@require_http_methods(["GET", "POST"])
def postmortem_factors_view(request, reference):
    """The postmortem's contributing factors, with forms to add, change and remove them."""
    postmortem = _get_postmortem_for_edit(request, reference)
    form = FactorForm(request.POST or None, postmortem=postmortem)
    if request.method == "POST" and form.is_valid():
        try:
            factor_add(postmortem=postmortem, actor=request.user, **form.cleaned_data)
        except PostmortemError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Contributing factor added."))
            return _after_factor_change(request, postmortem)
    return render(
        request,
        "postmortems/postmortem_factors.html",
        {
            "postmortem": postmortem,
            "incident": postmortem.incident,
            **_factor_panel(postmortem, form=form),
        },
    )


def _get_factor(postmortem, pk) -> ContributingFactor:
    return get_object_or_404(
        ContributingFactor.objects.select_related("category__parent"), pk=pk, postmortem=postmortem
    )


@require_http_methods(["GET", "POST"])
def factor_edit(request, reference, pk):
    postmortem = _get_postmortem_for_edit(request, reference)
    factor = _get_factor(postmortem, pk)
    form = FactorForm(request.POST or None, postmortem=postmortem, factor=factor)
    if request.method == "POST" and form.is_valid():
        try:
            factor_update(factor=factor, actor=request.user, **form.cleaned_data)
        except PostmortemError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Contributing factor saved."))
            return _after_factor_change(request, postmortem)
    return render(
        request,
        "postmortems/factor_edit.html",
        {
            "postmortem": postmortem,
            "incident": postmortem.incident,
            "factor": factor,
            "form": form,
            "factors_refusal": document_change_refusal(postmortem),
            "return_to": request.GET.get("return_to", request.POST.get("return_to", "")),
        },
    )


@require_POST
def factor_remove_view(request, reference, pk):
    postmortem = _get_postmortem_for_edit(request, reference)
    factor = _get_factor(postmortem, pk)
    try:
        factor_remove(factor=factor, actor=request.user)
    except PostmortemError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Contributing factor removed."))
    return _after_factor_change(request, postmortem)


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
    html, removed = render_markdown_for_writer(text)
    return render(
        request,
        "postmortems/includes/_preview.html",
        {"html": html, "removed": removed, "hits": find_blame(text, compiled_phrases())},
    )


DOCUMENT_CHANGES_SHOWN = 50


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
            # Changes made outside the sections (timeline, facts, action items, contributing
            # factors), newest first.
            "document_changes": postmortem.changes.select_related("actor")[:DOCUMENT_CHANGES_SHOWN],
            "document_changes_shown": DOCUMENT_CHANGES_SHOWN,
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
    _restricted_404(request, postmortem.incident)
    if not (request.user.is_staff or request.user.pk == postmortem.author_id):
        raise PermissionDenied(
            _("Only the author and staff may change who writes this postmortem.")
        )
    form = CoAuthorsForm(
        request.POST if request.method == "POST" else None,
        initial={"co_authors": list(postmortem.co_authors.all())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            postmortem_set_co_authors(
                postmortem=postmortem,
                actor=request.user,
                co_authors=form.cleaned_data["co_authors"],
            )
        except PostmortemError as refusal:
            raise PermissionDenied(str(refusal)) from refusal
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
        postmortem_as_markdown(postmortem, action_items=postmortem_action_items(postmortem)),
        content_type="text/markdown; charset=utf-8",
    )
    filename = f"{postmortem.incident.reference}-postmortem.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def postmortem_pdf(request, reference):
    """The read page as its print view lays it out, as a PDF file."""
    page = postmortem_detail(request, reference)
    if page.status_code != 200:
        return page
    response = HttpResponse(html_as_pdf(page.content.decode()), content_type="application/pdf")
    filename = f"{reference}-postmortem.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


REVIEW_ACTIONS = {
    "request_review": RequestReviewForm,
    "request_changes": RequestChangesForm,
    "approve": ApproveForm,
    "publish": PublishForm,
    "withdraw_approval": WithdrawApprovalForm,
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


class ReplyTargetMissing(PostmortemError):
    """A reply's ``parent`` names no comment of this postmortem (deleted, or tampered with)."""


REPLY_TARGET_MISSING = gettext_lazy(
    "The comment you replied to is not on this postmortem. Your text is kept below: post it "
    "as a new comment."
)


def _as_new_comment(data, refusal) -> CommentForm:
    """The refused reply's text in the new-comment form (there is no thread to show it in)."""
    data = data.copy()
    data["parent"] = ""
    form = CommentForm(data)
    form.is_valid()
    form.add_error(None, str(refusal))
    return form


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
    if action == "withdraw_approval":
        review.withdraw_approval(postmortem=postmortem, actor=user, reason=data["reason"])
        return _("Approval withdrawn; the reviewers have been told. Edit it, then resubmit it.")
    parent = None
    if data.get("parent"):
        parent = Comment.objects.filter(pk=data["parent"], postmortem=postmortem).first()
        if parent is None:
            raise ReplyTargetMissing(str(REPLY_TARGET_MISSING))
    comment = review.add_comment(
        postmortem=postmortem,
        actor=user,
        body=data["body"],
        section=data["section"],
        parent=parent,
        quote=data["quote"],
        prefix=data["quote_prefix"],
        suffix=data["quote_suffix"],
        suggestion=data["suggestion"],
    )
    review_url = reverse("postmortems:review", args=[postmortem.incident.reference])
    form.posted_at = f"{review_url}#comment-{comment.parent_id or comment.pk}"
    form.record_submission(form.posted_at)
    return _("Comment posted.")


def _offered_review_actions(postmortem, user) -> set[str]:
    """The actions whose forms the review page shows this user (as its template decides)."""
    status = postmortem.status
    is_writer = user.is_staff or postmortem.is_writer(user)
    offered = {"comment"}
    if is_writer and status in (PostmortemStatus.DRAFT, PostmortemStatus.CHANGES_REQUESTED):
        offered.add("request_review")
    if review.may_review(postmortem, user) and status == PostmortemStatus.IN_REVIEW:
        offered.update({"approve", "request_changes"})
    if is_writer and status == PostmortemStatus.APPROVED:
        offered.update({"publish", "withdraw_approval"})
    return offered


@require_http_methods(["GET", "POST"])
def postmortem_review(request, reference):
    """The review page: the whole document with its comments anchored to the text they quote,
    the changes since this reviewer's last review, the state, reviewers, gates and activity, and
    every review action.

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
                with transaction.atomic():
                    if action == "comment" and (repeat := form.claim_submission(request)):
                        return repeat
                    message = _perform_review_action(action, form, postmortem, request.user)
            except ReplyTargetMissing as refusal:
                forms["comment"] = _as_new_comment(request.POST, refusal)
            except PostmortemError as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, message)
                # A new comment is shown where it sits, under its section or its thread.
                if posted_at := getattr(form, "posted_at", None):
                    return redirect(posted_at)
                return redirect("postmortems:review", reference=reference)
        elif action == "comment" and "parent" in form.errors:
            forms["comment"] = _as_new_comment(request.POST, REPLY_TARGET_MISSING)
    if postmortem.status == PostmortemStatus.PUBLISHED:
        # Its factors' and action items' controls each ask for the open amendment: read once.
        prefetch_related_objects([postmortem], "amendments")
    threads = review_threads(postmortem)
    document = review_document(postmortem, threads)
    comment_form = forms["comment"]
    is_writer = postmortem.is_writer(request.user) or request.user.is_staff
    may_edit = postmortem.can_edit(request.user)
    entries, show_dates = _review_timeline(postmortem)
    may_review = review.may_review(postmortem, request.user)
    # The approval's gates are shown only to a reviewer of a postmortem in review.
    shows_approval = may_review and postmortem.status == PostmortemStatus.IN_REVIEW
    action_blockers, no_action_items = approval_gate(postmortem) if shows_approval else ([], False)
    # A refused comment on a section comes back in that section's form, as typed.
    failed_section = (
        comment_form.data.get("section", "")
        if action == "comment" and comment_form.data.get("from_section")
        else ""
    )
    for part in document:
        part.comment_failed = part.section.field == failed_section
    return render(
        request,
        "postmortems/postmortem_review.html",
        {
            "postmortem": postmortem,
            "incident": postmortem.incident,
            "forms": forms,
            "failed_action": action,
            "document": document,
            "action_items": postmortem_action_items(postmortem),
            "entries": entries,
            "show_dates": show_dates,
            "general_threads": [thread for thread in threads if not thread.section],
            "failed_section": failed_section,
            # Where every comment form posts, and the token they share: once for all of them.
            "review_url": reverse("postmortems:review", args=[postmortem.incident.reference]),
            "comment_token": comment_form["submission_token"].value(),
            "changes_since_review": changes_since_review(postmortem, request.user),
            "may_decide_suggestions": is_writer
            and postmortem.status not in (PostmortemStatus.APPROVED, PostmortemStatus.PUBLISHED),
            # A refusal of an action whose form the page does not show is shown on its own.
            "stray_refusal": forms[action]
            if action and action not in _offered_review_actions(postmortem, request.user)
            else None,
            "threads": threads,
            "open_count": sum(1 for thread in threads if thread.is_open),
            "activity": activity_feed(postmortem),
            "review_requests": reviewer_panel(postmortem),
            "required_approvals": settings.POSTMORTEM_REQUIRED_APPROVALS,
            "empty_sections": postmortem.empty_required_sections(),
            "action_blockers": action_blockers,
            "no_action_items": no_action_items,
            "is_writer": is_writer,
            "may_review": may_review,
            "changed_this_round": shows_approval and changed_in_round(postmortem, request.user),
            "can_edit": may_edit,
            "factors": postmortem_factors(postmortem),
            "may_change_factors": may_edit and not document_change_refusal(postmortem),
        },
    )


AMENDMENT_ACTIONS = {
    "start": StartAmendmentForm,
    "save": AmendmentTextForm,
    "approve": ApproveAmendmentForm,
    "withdraw": ReasonForm,
}


def _amendment_forms(postmortem, amendment, bound_action=None, data=None) -> dict:
    initial = {
        "save": {
            "version": postmortem.content_version,
            **(amendment.proposed_text if amendment else {}),
        },
        "approve": {"seen_version": postmortem.content_version},
    }
    return {
        action: form_class(data if action == bound_action else None, initial=initial.get(action))
        for action, form_class in AMENDMENT_ACTIONS.items()
    }


def _perform_amendment_action(action, form, postmortem, amendment, user) -> str:
    data = form.cleaned_data
    if action == "start":
        amendments.start_amendment(postmortem=postmortem, actor=user, reason=data["reason"])
        return _("Amendment started. Readers see the published text until a reviewer approves it.")
    if amendment is None:
        raise PostmortemError(_("No amendment is open: start one first."))
    if action == "save":
        amendments.save_amendment_text(
            amendment=amendment, actor=user, texts=form.texts(), loaded_version=data["version"]
        )
        return _("Proposed text saved. A reviewer who did not change it approves it.")
    if action == "approve":
        amendments.approve_amendment(
            amendment=amendment, actor=user, seen_version=data["seen_version"]
        )
        return _("Amendment approved and applied: readers now see the new text.")
    amendments.withdraw_amendment(amendment=amendment, actor=user, reason=data["reason"])
    return _("Amendment withdrawn; the published text stands.")


@require_http_methods(["GET", "POST"])
def postmortem_amendment(request, reference):
    """Start, edit, approve or withdraw the amendment of a published postmortem. A refused action
    re-renders the page with what was typed and why it was refused."""
    postmortem = _get_postmortem_for_read(request, reference)
    if postmortem.status != PostmortemStatus.PUBLISHED:
        messages.info(request, _("Only a published postmortem is amended."))
        return redirect(postmortem)
    amendment = open_amendment(postmortem)
    action = request.POST.get("action") if request.method == "POST" else None
    if action is not None and action not in AMENDMENT_ACTIONS:
        return HttpResponse(status=400)
    forms = _amendment_forms(postmortem, amendment, action, request.POST if action else None)
    if action:
        form = forms[action]
        if form.is_valid():
            try:
                message = _perform_amendment_action(
                    action, form, postmortem, amendment, request.user
                )
            except PostmortemError as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, message)
                if action in ("approve", "withdraw"):
                    return redirect(postmortem)
                return redirect("postmortems:amendment", reference=reference)
    # Until it is approved, the proposed text is for its writers, reviewers and staff only.
    may_see_proposal = amendment is not None and postmortem.can_edit(request.user)
    proposed_changes = (
        diff_sections(amendment.published_text, amendment.proposed_text, AMENDABLE_SECTIONS)
        if may_see_proposal
        else []
    )
    return render(
        request,
        "postmortems/postmortem_amendment.html",
        {
            "postmortem": postmortem,
            "incident": postmortem.incident,
            "amendment": amendment,
            "forms": forms,
            "failed_action": action,
            "proposed_changes": proposed_changes,
            "may_see_proposal": may_see_proposal,
            "amendment_changes": amendment.changes.select_related("actor")
            if may_see_proposal
            else [],
            "may_amend": amendments.may_amend(postmortem, request.user),
            "may_edit": postmortem.can_edit(request.user),
            "may_approve": amendment is not None
            and amendments.may_approve_amendment(amendment, request.user),
        },
    )


def _review_timeline(postmortem):
    """The timeline the review page shows with the document: as published once it is."""
    published = published_incident(postmortem)
    if published is not None:
        _incident, _services, entries = published
        return entries, len({timezone.localtime(e.occurred_at).date() for e in entries}) > 1
    return incident_timeline(postmortem.incident)


SUGGESTION_DECISIONS = {
    "accept": (
        review.accept_suggestion,
        gettext_lazy("Suggestion accepted: saved as a new version."),
    ),
    "dismiss": (review.dismiss_suggestion, gettext_lazy("Suggestion dismissed.")),
}


@require_POST
def comment_suggestion(request, reference, pk):
    """A writer accepts (one click: the quote is replaced as a new revision) or dismisses a
    suggestion. A refusal says why, on the review page."""
    postmortem = _get_postmortem_for_read(request, reference)
    comment = get_object_or_404(Comment, pk=pk, postmortem=postmortem, parent__isnull=True)
    decision = SUGGESTION_DECISIONS.get(request.POST.get("decision", ""))
    if decision is None:
        return HttpResponse(status=400)
    decide, done = decision
    try:
        decide(comment=comment, actor=request.user)
    except PostmortemError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, str(done))
    return redirect(f"{reverse('postmortems:review', args=[reference])}#comment-{comment.pk}")


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


@require_http_methods(["GET", "POST"])
def requirement_exempt(request, reference):
    """Exempt an incident from its required postmortem (Managers and staff), with a reason."""
    number = Incident.number_from_reference(reference)
    incident = get_object_or_404(
        Incident.objects.select_related("postmortem_requirement"), number=number or -1
    )
    _restricted_404(request, incident)
    if not requirements.can_exempt(request.user):
        raise PermissionDenied(_("Only Managers may exempt an incident from its postmortem."))
    requirement = getattr(incident, "postmortem_requirement", None)
    if requirement is None or requirement.is_exempt:
        messages.info(
            request,
            _("This incident is already exempt.")
            if requirement
            else _("This incident does not require a postmortem."),
        )
        return redirect(incident)
    form = ExemptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            requirements.requirement_exempt(
                incident=incident, user=request.user, reason=form.cleaned_data["reason"]
            )
        except requirements.RequirementError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Exempted: the reason is shown on the incident."))
            return redirect(incident)
    return render(
        request,
        "postmortems/requirement_exempt.html",
        {"incident": incident, "requirement": requirement, "form": form},
    )


REVIEW_QUEUE_PAGE_SIZE = 25


class QueuePage:
    """One page of a review-queue list, read one row beyond the page to know whether more
    follow: no count, so each list costs one query however long it is."""

    def __init__(self, request, name: str, postmortems):
        self.parameter = f"{name}_page"
        try:
            self.number = min(max(int(request.GET.get(self.parameter, 1)), 1), 10_000)
        except ValueError:
            self.number = 1
        start = (self.number - 1) * REVIEW_QUEUE_PAGE_SIZE
        rows = list(postmortems[start : start + REVIEW_QUEUE_PAGE_SIZE + 1])
        self.postmortems = rows[:REVIEW_QUEUE_PAGE_SIZE]
        self._query = request.GET
        self.newer_url = self._url(self.number - 1) if self.number > 1 else ""
        self.older_url = self._url(self.number + 1) if len(rows) > REVIEW_QUEUE_PAGE_SIZE else ""

    def _url(self, number: int) -> str:
        query = self._query.copy()
        query[self.parameter] = number
        return f"?{query.urlencode()}"

    def __iter__(self):
        return iter(self.postmortems)

    def __len__(self):
        return len(self.postmortems)


def review_queue_view(request):
    filter_form = ReviewQueueFilterForm(request.GET or None)
    filters = filter_form.filters() if request.GET else {}
    lists = review_queue(request.user, team=filters.get("team"))
    return render(
        request,
        "postmortems/review_queue.html",
        {
            **{name: QueuePage(request, name, postmortems) for name, postmortems in lists.items()},
            "filter_form": filter_form,
            "is_filtered": bool(filters),
        },
    )


def library_view(request):
    # Counting every published postmortem grows with the data: kept until the data changes.
    count = kept_count("library-count", request.user.pk)
    context = filtered_list_context(
        request, LibraryFilterForm, library, count=count, user=request.user
    )
    return render(request, "postmortems/library.html", context)


@login_not_required
def public_list(request):
    summaries = public_summaries()
    paginator = Paginator(summaries, settings.PAGE_SIZE)
    # Counting every public summary joins each with its incident (restricted ones stay off):
    # the count is kept until the data changes (core/snapshots.py), the same for every reader.
    paginator.count = snapshot("public-summary-count", (), summaries.count).value
    page = paginator.get_page(request.GET.get("page"))
    return _public_page(request, "postmortems/public_list.html", {"page": page})


@login_not_required
def public_detail(request, public_id):
    summary = get_object_or_404(public_summaries(), public_id=public_id)
    return _public_page(request, "postmortems/public_detail.html", {"summary": summary})


def _public_page(request, template, context):
    """Public pages speak for the site, with times in its zone, the same for every reader."""
    return render(
        request,
        template,
        {**context, "site_name": settings.SITE_NAME, "time_zone": settings.ORG_TIME_ZONE},
    )
