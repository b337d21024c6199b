"""The questionnaire about a published postmortem (postmortems/survey.py): its results for
everyone who may read the postmortem, and the form for the people asked."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from postmortems import survey
from postmortems.forms import SurveyAnswerForm
from postmortems.models import Postmortem, PostmortemStatus
from postmortems.selectors import postmortem_for_reference


def _get_published_postmortem(request, reference: str) -> Postmortem:
    """The published postmortem, if this person may read it; not found otherwise (a
    restricted incident's postmortem does not say it exists)."""
    postmortem = postmortem_for_reference(reference)
    if (
        postmortem.status != PostmortemStatus.PUBLISHED
        or not postmortem.can_read(request.user)
        or not postmortem.incident.can_view(request.user)
    ):
        raise Http404(_("There is no published postmortem here."))
    return postmortem


@require_GET
def survey_results(request, reference):
    postmortem = _get_published_postmortem(request, reference)
    invitation = survey.invitation_for(postmortem, request.user)
    return render(
        request,
        "postmortems/survey_results.html",
        {
            "postmortem": postmortem,
            "incident": postmortem.incident,
            "results": survey.results(postmortem),
            "may_answer": invitation is not None and not invitation.answered,
            "has_answered": invitation is not None and invitation.answered,
        },
    )


@require_http_methods(["GET", "POST"])
def survey_answer(request, reference):
    postmortem = _get_published_postmortem(request, reference)
    invitation = survey.invitation_for(postmortem, request.user)
    if invitation is None:
        raise Http404(_("Only the people asked about this postmortem may answer."))
    if invitation.answered:
        messages.info(request, _("You have already answered about this postmortem: thank you."))
        return redirect("postmortems:survey", reference=reference)
    form = SurveyAnswerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            survey.answer(
                postmortem=postmortem,
                person=request.user,
                ratings=form.ratings,
                comment=form.cleaned_data["comment"],
            )
        except survey.NotInvited as refused:
            raise Http404(str(refused)) from None
        except survey.SurveyRefused as refused:
            messages.info(request, str(refused))
        else:
            messages.success(
                request, _("Thank you. Your answer is kept without your name or the time.")
            )
        return redirect("postmortems:survey", reference=reference)
    return render(
        request,
        "postmortems/survey_answer.html",
        {
            "postmortem": postmortem,
            "incident": postmortem.incident,
            "form": form,
            "min_answers": survey.SURVEY_MIN_ANSWERS,
        },
    )
