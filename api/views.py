"""The REST API. Thin views over the apps' own code: who may read is the pages' queryset filters
(``readable_by_q`` through ``visible_to``), who may change is the models' ``can_*`` rules,
values are checked by the pages' forms, and every write goes through the apps' services, so the
history, audit and notifications follow exactly as when the change is made on a page."""

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from actions.forms import ActionItemFilterForm, ActionItemForm, ActionItemUpdateForm, StatusForm
from actions.models import ActionItem, can_add_action_items, local_today, zone_of
from actions.selectors import action_item_list
from actions.services import action_item_create, action_item_update
from api import serializers
from api.errors import Conflict
from api.forms import (
    as_form_data,
    checked,
    filter_parameters,
    form_errors,
    list_filters,
    with_defaults,
)
from api.pagination import Cursor
from incidents import services as incident_services
from incidents.forms import IncidentFilterForm, TimelineEntryForm
from incidents.models import Incident, Service, Tag, TimelineEntry
from incidents.selectors import incident_list
from postmortems.forms import PostmortemFilterForm, SectionsForm
from postmortems.models import Postmortem
from postmortems.sections import SECTIONS_BY_FIELD
from postmortems.selectors import postmortem_list
from postmortems.services import postmortem_save_sections

# An incident reference in a URL: nine digits at most, as Incident.number_from_reference reads.
REFERENCE = r"[Ii][Nn][Cc]-[0-9]{1,9}"
# A slug in a URL (tags' are in any script): letters, digits, "-" and "_", never a control byte.
SLUG = r"[-\w]+"
# A row id in a URL: short enough for a bigint, so a long number is a 404, not an error.
ROW_ID = r"[0-9]{1,18}"


class ApiViewMixin:
    """Signed in by token or session (checked by the API itself, which answers 401 rather than
    redirecting to the sign-in page), and times in the person's own zone, as on the pages."""

    @method_decorator(login_not_required)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        timezone.activate(zone_of(request.user))


def ordered_pages(*ordering: str) -> type[Cursor]:
    return type("Cursor", (Cursor,), {"ordering": ordering})


# Incidents and their timelines -----------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=filter_parameters(
            IncidentFilterForm, service=_("A service's slug."), tag=_("A tag's slug.")
        )
    )
)
class IncidentViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Incidents: everyone signed in reads them, as on the incident pages."""

    serializer_class = serializers.IncidentSerializer
    pagination_class = ordered_pages("-started_at", "-number")
    lookup_field = "reference"
    lookup_value_regex = REFERENCE

    def get_queryset(self):
        if self.action == "list":
            return incident_list(
                user=self.request.user, filters=list_filters(self.request, IncidentFilterForm)
            )
        # A restricted incident the token's person may not see is a 404, as on the pages.
        return Incident.objects.visible_to(self.request.user).with_list_relations()

    def get_object(self):
        number = Incident.number_from_reference(self.kwargs["reference"])
        return get_object_or_404(self.get_queryset(), number=number)


@extend_schema_view(
    list=extend_schema(summary="An incident's timeline, in time order"),
    create=extend_schema(
        summary="Add a timeline entry", request=serializers.TimelineEntryCreateSerializer
    ),
)
class TimelineEntryViewSet(
    ApiViewMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Timeline entries (deleted ones left out): everyone signed in reads them and adds to
    them, as on the incident page; a frozen postmortem refuses additions (409)."""

    serializer_class = serializers.TimelineEntrySerializer
    pagination_class = ordered_pages("occurred_at", "id")

    def incident(self) -> Incident:
        number = Incident.number_from_reference(self.kwargs["reference"])
        return get_object_or_404(Incident.objects.visible_to(self.request.user), number=number)

    def get_queryset(self):
        return self.incident().timeline_entries.select_related("incident", "author")

    def create(self, request, *args, **kwargs):
        incident = self.incident()
        sent = serializers.TimelineEntryCreateSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        form = checked(
            TimelineEntryForm(
                with_defaults(TimelineEntry, sent.validated_data, TimelineEntryForm._meta.fields)
            )
        )
        fields = {name: form.cleaned_data[name] for name in form._meta.fields}
        entry = incident_services.timeline_entry_create(
            incident=incident, author=request.user, **fields
        )
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)


# Postmortems -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(parameters=filter_parameters(PostmortemFilterForm)),
    retrieve=extend_schema(responses=serializers.PostmortemDetailSerializer),
)
class PostmortemViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Postmortems the person may read (a draft only by its writers, reviewers and staff)."""

    serializer_class = serializers.PostmortemSerializer
    # Newest first by id, which its primary key's index serves (there is none on created_at).
    pagination_class = ordered_pages("-id")
    lookup_field = "reference"
    lookup_value_regex = REFERENCE

    def get_queryset(self):
        if self.action == "list":
            return postmortem_list(
                user=self.request.user, filters=list_filters(self.request, PostmortemFilterForm)
            )
        return Postmortem.objects.visible_to(self.request.user).with_page_relations()

    def get_object(self):
        number = Incident.number_from_reference(self.kwargs["reference"])
        return get_object_or_404(self.get_queryset(), incident__number=number)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.PostmortemDetailSerializer
        return super().get_serializer_class()

    @extend_schema(
        summary="Change some sections",
        description=(
            "Saves the sections sent as a new version, as the edit page does. Refused with "
            "409 (code stale, and the current_version) when someone saved since the version "
            "sent, and with 409 (code frozen) once it is approved or published."
        ),
        request=serializers.SectionsUpdateSerializer,
        responses=serializers.PostmortemDetailSerializer,
    )
    @action(detail=True, methods=["patch"])
    def sections(self, request, reference):
        postmortem = self.get_object()
        if not postmortem.can_edit(request.user):
            raise exceptions.PermissionDenied(
                _("Only the author, co-authors, reviewers and staff may edit this.")
            )
        sent = serializers.SectionsUpdateSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        texts = sent.validated_data["sections"]
        if not texts:
            raise exceptions.ValidationError(
                {"sections": [_("Send at least one section to change.")]}
            )
        form = checked(
            SectionsForm(
                {"version": sent.validated_data["version"], **texts},
                sections=[SECTIONS_BY_FIELD[name] for name in texts],
            )
        )
        postmortem_save_sections(
            postmortem_id=postmortem.pk,
            editor=request.user,
            texts=form.texts(),
            loaded_version=form.cleaned_data["version"],
        )
        return Response(serializers.PostmortemDetailSerializer(self.get_object()).data)


@extend_schema_view(list=extend_schema(summary="A postmortem's review comments, oldest first"))
class CommentViewSet(ApiViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Review comments, for those who may read the postmortem."""

    serializer_class = serializers.CommentSerializer
    pagination_class = ordered_pages("created_at", "id")

    def get_queryset(self):
        number = Incident.number_from_reference(self.kwargs["reference"])
        postmortem = get_object_or_404(
            Postmortem.objects.visible_to(self.request.user), incident__number=number
        )
        return postmortem.comments.select_related("author", "resolved_by")


# Action items ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=filter_parameters(
            ActionItemFilterForm,
            owner=_("A person's id, or none."),
            service=_("A service's slug, or none."),
        )
    ),
    create=extend_schema(request=serializers.ActionItemCreateSerializer),
    partial_update=extend_schema(request=serializers.ActionItemUpdateSerializer),
)
class ActionItemViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Action items the person may read (``ActionItemQuerySet.visible_to``). Their owner, the
    postmortem's writers, managers and staff change them; writers, managers and staff add them."""

    serializer_class = serializers.ActionItemSerializer
    pagination_class = ordered_pages("-created_at", "-id")
    lookup_value_regex = ROW_ID
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            filters = list_filters(self.request, ActionItemFilterForm)
            return action_item_list(user=user, filters=filters, today=local_today())
        items = (
            ActionItem.objects.visible_to(user)
            .with_list_relations()
            .select_related("postmortem__author")
            .prefetch_related("postmortem__co_authors")
        )
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            items = items.select_for_update(of=("self",))
        return items

    def _editable_item(self) -> ActionItem:
        item = self.get_object()
        if not item.can_edit(self.request.user):
            raise exceptions.PermissionDenied(
                _("Only the owner, the postmortem's writers, managers and staff may change this.")
            )
        return item

    def _answer(self, item: ActionItem, code=status.HTTP_200_OK) -> Response:
        item = ActionItem.objects.with_list_relations().get(pk=item.pk)
        return Response(self.get_serializer(item).data, status=code)

    @transaction.atomic
    def create(self, request, *args, **kwargs):
        sent = serializers.ActionItemCreateSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        number = Incident.number_from_reference(sent.validated_data["postmortem"])
        postmortem = (
            Postmortem.objects.visible_to(request.user)
            .with_page_relations()
            .filter(incident__number=number)
            .first()
        )
        if postmortem is None:
            raise exceptions.ValidationError(
                {"postmortem": [_("No postmortem you may read has that reference.")]}
            )
        if not can_add_action_items(postmortem, request.user):
            raise exceptions.PermissionDenied(
                _("Only the postmortem's writers, managers and staff may add action items to it.")
            )
        values = {key: value for key, value in sent.validated_data.items() if key != "postmortem"}
        form = checked(
            ActionItemForm(
                with_defaults(ActionItem, values, ActionItemForm._meta.fields),
                today=local_today(),
                prefix=None,
            )
        )
        fields = {name: form.cleaned_data[name] for name in form._meta.fields}
        item = action_item_create(postmortem=postmortem, created_by=request.user, **fields)
        return self._answer(item, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed(request.method)

    @transaction.atomic
    def partial_update(self, request, *args, **kwargs):
        item = self._editable_item()
        sent = serializers.ActionItemUpdateSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        form = ActionItemUpdateForm(
            _item_form_data(item, sent.validated_data),
            instance=item,
            today=local_today(),
            prefix=None,
        )
        if frozen := [
            name
            for name, field in form.fields.items()
            if field.disabled
            and sent.validated_data.get(name, getattr(item, name)) != getattr(item, name)
        ]:
            # The page shows these fields disabled; a program is told instead of ignored.
            raise Conflict(str(form.fields[frozen[0]].help_text), code="frozen")
        if not form.is_valid():
            if form.has_conflict:
                raise Conflict(
                    str(form.conflict_message), code="stale", current_version=form.current_version
                )
            raise exceptions.ValidationError(form_errors(form))
        action_item_update(item=item, changed_by=request.user, reason=form.cleaned_data["reason"])
        return self._answer(item)

    @extend_schema(
        summary="Start, finish, reopen or drop an item",
        request=serializers.ActionItemStatusSerializer,
        responses=serializers.ActionItemSerializer,
    )
    @action(detail=True, methods=["post"], url_path="status")
    @transaction.atomic
    def set_status(self, request, pk):
        item = self._editable_item()
        sent = serializers.ActionItemStatusSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        form = checked(StatusForm(as_form_data(sent.validated_data)))
        form.apply(item, changed_by=request.user)
        return self._answer(item)


def _item_form_data(item: ActionItem, changes: dict) -> dict:
    """The edit form as the page would send it: the item as it is, with the changes sent."""
    current = {
        "title": item.title,
        "kind": item.kind,
        "owner": item.owner_id,
        "priority": item.priority,
        "status": item.status,
        "due_date": item.due_date,
        "tracker_url": item.tracker_url,
        "description": item.description,
        "resolution_note": item.resolution_note,
        "evidence_url": item.evidence_url,
        "evidence_note": item.evidence_note,
        "verify_by": item.verify_by,
        "reason": "",
        "version": item.updated_at,
    }
    return as_form_data({**current, **changes})


# Services, tags, the caller --------------------------------------------------------------------


class ServiceViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.ServiceSerializer
    queryset = Service.objects.all()
    pagination_class = ordered_pages("name")
    lookup_field = "slug"
    lookup_value_regex = SLUG


class TagViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.TagSerializer

    def get_queryset(self):
        return Tag.objects.visible_to(self.request.user)

    pagination_class = ordered_pages("name")
    lookup_field = "slug"
    lookup_value_regex = SLUG


class MeView(ApiViewMixin, APIView):
    """Who the request is from, and the token it came with (null when signed in by session)."""

    @extend_schema(responses=serializers.MeSerializer)
    def get(self, request):
        return Response(
            serializers.MeSerializer({"user": request.user, "token": request.auth}).data
        )


class SchemaView(ApiViewMixin, SpectacularAPIView):
    """The OpenAPI 3 document, for anyone signed in."""


@login_not_required
def not_found(request, path=""):
    """Any other address under /api/: a 404 a program can read, not the site's page."""
    return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)


def docs(request):
    """The API's reference and console (Swagger UI, served from static/vendor), signed in by
    the browser session; changes sent from it carry the page's CSRF token."""
    return render(request, "api/docs.html")
