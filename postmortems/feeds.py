from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from postmortems.selectors import public_summaries


class PublicSummariesFeed(Feed):
    """Atom feed of public summaries: the public title and summary, nothing else."""

    login_required = False  # read by LoginRequiredMiddleware: the feed is for everyone

    feed_type = Atom1Feed

    def title(self):
        return _("%(site)s: incident reports") % {"site": settings.SITE_NAME}

    subtitle = _("Summaries of incidents that affected our customers.")
    link = reverse_lazy("public:list")

    def items(self):
        return public_summaries()[:50]

    def item_title(self, item):
        return item.public_title

    def item_description(self, item):
        return item.public_summary_html

    def item_link(self, item):
        return item.public_url()

    def item_guid(self, item):
        return f"urn:uuid:{item.public_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at
