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
    path("results/", views.results_page, name="results"),
    path("results.csv", views.results_csv, name="results_csv"),
    path("results.xlsx", views.results_xlsx, name="results_xlsx"),
    path("targets/", views.targets, name="targets"),
]
