from django.urls import path

from . import views

app_name = "insight"

urlpatterns = [
    path("", views.figures, name="figures"),
    path("figures.csv", views.figures_csv, name="figures_csv"),
    path("failures/", views.failures, name="failures"),
    path("karte/<slug:key>/", views.karte, name="karte"),
    path("indicators/", views.indicators_page, name="indicators"),
    path("indicators.csv", views.indicators_csv, name="indicators_csv"),
]
