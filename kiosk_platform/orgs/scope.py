"""What an operator may see and change: their organisation and everything below it.

Every page and API of the dashboard goes through these. A request about an object outside the
operator's subtree is answered 404 (not 403), so an operator cannot even learn that another
county's kiosk exists; an action their role does not allow is 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from .models import Membership, Organisation

M = TypeVar("M", bound=Model)
View = Callable[..., HttpResponse]


def membership(request: HttpRequest) -> Membership:
    """The signed-in operator's membership; 403 for a user who belongs to no organisation."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied("not signed in")
    try:
        return user.membership  # type: ignore[union-attr]
    except Membership.DoesNotExist as exc:
        raise PermissionDenied("this account belongs to no organisation") from exc


def visible_organisations(request: HttpRequest) -> QuerySet[Organisation]:
    return membership(request).organisation.subtree()


def scoped(request: HttpRequest, queryset: QuerySet[M], field: str = "organisation") -> QuerySet[M]:
    """``queryset`` narrowed to the operator's subtree through ``field`` (an Organisation FK)."""
    root = membership(request).organisation
    return queryset.filter(**{f"{field}__path__startswith": root.path})


def get_scoped(request: HttpRequest, queryset: QuerySet[M], field: str = "organisation", **lookup: Any) -> M:
    """One object of the operator's subtree, or 404 (whether it does not exist or is not theirs)."""
    try:
        return scoped(request, queryset, field).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError) as exc:  # type: ignore[attr-defined]
        raise Http404("no such item here") from exc


def operator_required(view: View) -> View:
    """Signed in and a member of an organisation."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership(request)
        return view(request, *args, **kwargs)

    return wrapper


def editor_required(view: View) -> View:
    """Signed in as an editor or administrator."""

    @operator_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not membership(request).can_edit:
            raise PermissionDenied("your role can only read")
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view: View) -> View:
    """Signed in as an administrator."""

    @operator_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not membership(request).is_admin:
            raise PermissionDenied("only an administrator may do this")
        return view(request, *args, **kwargs)

    return wrapper


def operator_context(request: HttpRequest) -> dict[str, Any]:
    """Template context: the operator's membership (or None) for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"membership": None}
    try:
        return {"membership": user.membership}
    except Membership.DoesNotExist:
        return {"membership": None}
