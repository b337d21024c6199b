import json

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from core.dates import validate_moment_in_range
from core.forms import BoundedDateField, DateTimeLocalInput, cap_text_length
from core.models import TIME_ZONE_CHOICES
from imports.chat_paste import MAX_PASTE_LENGTH
from imports.slack import MAX_ZIP_BYTES


class FolderInput(forms.ClearableFileInput):
    """Picks a whole folder; the files' paths in it go to the hidden field named in
    data-folder-paths (static/imports/chat_import.js), as the browser sends only their names."""

    allow_multiple_selected = True

    def __init__(self):
        super().__init__(attrs={"webkitdirectory": True, "data-folder-paths": "id_folder_paths"})


class FolderField(forms.FileField):
    widget = FolderInput

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(FolderField, self).clean(upload, initial) for upload in uploads]


class SlackExportForm(forms.Form):
    export = forms.FileField(
        label=_("Slack export (zip)"),
        required=False,
        help_text=_("The zip Slack's export gives, as it is; at most %(limit)s MB.")
        % {"limit": MAX_ZIP_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    folder = FolderField(
        label=_("… or the unzipped export folder"),
        required=False,
        help_text=_("The folder holding users.json and channels.json."),
    )
    folder_paths = forms.CharField(widget=forms.HiddenInput, required=False)
    workspace_url = forms.URLField(
        label=_("Workspace address"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_("For links back to each message, e.g. https://acme.slack.com."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workspace_url"].initial = settings.SLACK_WORKSPACE_URL
        # Django refuses an upload of more files than this with a bare error page; the page
        # refuses such a folder first, with this message.
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        self.fields["folder"].widget.attrs.update(
            {
                "data-folder-limit": limit,
                "data-folder-too-many": _(
                    "This folder holds more than %(limit)s channel-day files: upload the zip."
                )
                % {"limit": limit},
            }
        )

    def clean(self):
        cleaned = super().clean()
        export, folder = cleaned.get("export"), cleaned.get("folder")
        if bool(export) == bool(folder):
            raise forms.ValidationError(
                _("Choose the export's zip or its unzipped folder."), code="one_source"
            )
        if folder:
            cleaned["folder_paths"] = self._paths(cleaned.get("folder_paths", ""), len(folder))
        return cleaned

    @staticmethod
    def _paths(value: str, count: int) -> list[str]:
        try:
            paths = json.loads(value)
        except ValueError:
            paths = None
        if (
            not isinstance(paths, list)
            or len(paths) != count
            or not all(isinstance(path, str) for path in paths)
        ):
            raise forms.ValidationError(
                _("The browser did not say where each file of the folder sits; upload the zip."),
                code="folder_paths",
            )
        return paths


class PastedChatForm(forms.Form):
    text = forms.CharField(
        label=_("Chat text"),
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
    )
    day = BoundedDateField(
        label=_("Day of the first message"),
        help_text=_("Pasted times have no date; later days follow when the clock passes midnight."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone of the times"), choices=TIME_ZONE_CHOICES)

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        cap_text_length(self.fields["text"], MAX_PASTE_LENGTH)
        # Help texts are rendered as HTML: "<alice>" must be escaped to be seen.
        self.fields["text"].help_text = escape(
            _(
                'Lines like "[10:32] alice: text" or "10:32 <alice> text", or messages copied '
                "from Slack."
            )
        )
        self.fields["day"].initial = timezone.localdate(incident.started_at)
        self.fields["time_zone"].initial = timezone.get_current_timezone_name()


class ChatWindowForm(forms.Form):
    """Which messages of a transcript to show: one channel, between two times (both optional)."""

    channel = forms.ChoiceField(label=_("Channel"))
    start = forms.DateTimeField(
        label=_("From"),
        required=False,
        widget=DateTimeLocalInput,
        validators=[validate_moment_in_range],
    )
    end = forms.DateTimeField(
        label=_("Until"),
        required=False,
        widget=DateTimeLocalInput,
        validators=[validate_moment_in_range],
    )

    def __init__(self, *args, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c["id"], f"#{c['name']}") for c in channels]
        if channels:
            self.fields["channel"].initial = channels[0]["id"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end of the window cannot be before its start."))
        return cleaned
