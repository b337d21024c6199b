app_name = "alerting"
urlpatterns = []
