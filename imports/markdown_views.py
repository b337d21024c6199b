from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from actions.models import zone_of
from imports.forms import MarkdownUploadForm
from imports.models import MarkdownImport
from imports.services import (
    ImportRefused,
    markdown_import_create,
    markdown_import_job_failed,
    markdown_import_plan,
    markdown_import_queue,
    may_import,
)
from imports.uploads import read_text_files


def _check_may_import(request) -> None:
    if not may_import(request.user):
        raise PermissionDenied(_("Only Authors and staff may import postmortems."))


def _get_markdown_import(request, pk: int) -> MarkdownImport:
    """An upload is seen only by whoever uploaded it (and staff): it holds their files."""
    _check_may_import(request)
    markdown_import = get_object_or_404(MarkdownImport, pk=pk)
    if markdown_import.uploaded_by_id != request.user.pk and not request.user.is_staff:
        raise PermissionDenied(_("This upload is someone else's."))
    return markdown_import


@require_http_methods(["GET", "POST"])
def markdown_upload(request):
    _check_may_import(request)
    form = MarkdownUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={"time_zone": str(zone_of(request.user))},
    )
    refused = []
    if request.method == "POST" and form.is_valid():
        read = read_text_files(form.cleaned_data["files"])
        refused = read.refused
        if read.files:
            markdown_import = markdown_import_create(
                uploaded_by=request.user,
                files=read.files,
                time_zone=form.cleaned_data["time_zone"],
                severity=form.cleaned_data["severity"],
            )
            for name, why in refused:
                messages.warning(request, f"{name}: {why}" if name else why)
            return redirect(markdown_import)
        form.add_error("files", _("None of the files could be read: nothing to import."))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "imports/markdown_upload.html", {"form": form, "refused": refused}, status=status
    )


def markdown_preview(request, pk):
    markdown_import = _get_markdown_import(request, pk)
    importing = markdown_import.queued_at is not None and markdown_import.imported_at is None
    job_failed = importing and markdown_import_job_failed(markdown_import)
    # While the worker imports, the page (polled every 2 s) says so without reading the files.
    plans = [] if importing and not job_failed else markdown_import_plan(markdown_import)
    return render(
        request,
        "imports/markdown_preview.html",
        {
            "markdown_import": markdown_import,
            "plans": plans,
            "to_import": sum(1 for plan in plans if not plan.skip_reason),
            "importing": importing,
            "job_failed": job_failed,
            "file_names": markdown_import.files.values_list("name", flat=True) if importing else [],
        },
    )


@require_POST
def markdown_apply(request, pk):
    markdown_import = _get_markdown_import(request, pk)
    try:
        markdown_import_queue(markdown_import=markdown_import, actor=request.user)
    except ImportRefused as refusal:
        messages.info(request, str(refusal))
    else:
        messages.success(request, _("Importing: this page shows each file's result when done."))
    return redirect(markdown_import)
