app_name = "graph"
urlpatterns: list = []
