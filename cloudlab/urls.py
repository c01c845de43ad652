from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from cloudlab.dashboard import project_picker
from cloudlab.identity import login

urlpatterns = [
    path("", project_picker.home, name="home"),
    path("auth/login/", login.LoginView.as_view(), name="login"),
    path("auth/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("django-admin/", admin.site.urls),
    path("", include("cloudlab.api.urls")),  # /identity, /compute, /image (OpenStack API)
    path("", include("cloudlab.dashboard.urls")),
    path("", include("cloudlab.architectures.urls")),
    path("", include("cloudlab.classroom.urls")),
    path("", include("cloudlab.assignments.urls")),
    path("", include("cloudlab.motion.urls")),
    # /kubernetes/<cluster>/… (kubectl); first, so its kubectl tab wins over kube's <section>/
    path("", include("cloudlab.kubeapi.urls")),
    path("", include("cloudlab.kube.urls")),
]
