from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from actions.models import local_today
from core.models import Team
from teams.selectors import team_list, team_page


@require_GET
def team_list_view(request):
    page = Paginator(team_list(), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "teams/team_list.html", {"page": page})


@require_GET
def team_detail(request, slug):
    team = get_object_or_404(Team.objects.select_related("manager"), slug=slug)
    context = team_page(
        team, user=request.user, today=local_today(), page_number=request.GET.get("page")
    )
    return render(request, "teams/team_detail.html", context)
