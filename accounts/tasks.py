"""Celery adapters only."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=10,
    max_retries=5,
)
def send_account_mail(subject: str, text: str, html: str, to: str) -> None:
    mail = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    mail.attach_alternative(html, "text/html")
    mail.send()
