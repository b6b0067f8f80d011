"""TemplateMail (tsumugi.lib.emails): the compat32 MIME the outbox sends reads back as the mail
Django would have written — subject, addresses, headers, the text and its HTML alternative —
through the locmem backend and through a real SMTP conversation."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from django.core.mail import mailers

from tsumugi.lib.emails import TemplateMail

SUBJECT = "【つむぎ】督促 3件: 期限を過ぎたものがあります"
TEXT = "次の3件の期限が過ぎています。\n・送付票 R7-00001\n  https://tsumugi.example/sheets/1/\n"
HTML = '<p>次の3件の期限が過ぎています。</p><a href="https://tsumugi.example/sheets/1/">R7</a>\n'


def template_mail(**kwargs: Any) -> TemplateMail:
    mail = TemplateMail(
        subject=kwargs.get("subject", SUBJECT),
        body=TEXT,
        from_email="tsumugi@example.jp",
        to=["bob@example.jp"],
        headers={"X-Tsumugi-Mail": "42"},
    )
    mail.attach_alternative(HTML, "text/html")
    return mail


def read_back(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def assert_same_mail(parsed: EmailMessage) -> None:
    assert parsed["Subject"] == SUBJECT
    assert (parsed["From"], parsed["To"]) == ("tsumugi@example.jp", "bob@example.jp")
    assert parsed["X-Tsumugi-Mail"] == "42"
    assert parsed["Date"] and parsed["Message-ID"]
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content() == TEXT
    assert html.get_content() == HTML


def test_it_reads_back_as_the_mail_django_writes() -> None:
    ours = read_back(template_mail().message().as_bytes())
    assert_same_mail(ours)
    django_s = read_back(super(TemplateMail, template_mail()).message().as_bytes())
    assert_same_mail(django_s)


def test_an_internationalised_domain_is_written_as_django_writes_it() -> None:
    mail = template_mail()
    mail.to = ["bob@例え.jp"]
    assert read_back(mail.message().as_bytes())["To"] == "bob@xn--r8jz45g.jp"


def test_what_it_does_not_write_itself_is_written_as_django_writes_it() -> None:
    """Copies, replies and attachments are not dropped: Django writes such a mail."""
    mail = template_mail()
    mail.cc, mail.reply_to = ["carol@example.jp"], ["office@example.jp"]
    mail.attach("a.txt", "添付", "text/plain")
    parsed = read_back(mail.message().as_bytes())
    assert (parsed["Cc"], parsed["Reply-To"]) == ("carol@example.jp", "office@example.jp")
    assert [part.get_filename() for part in parsed.iter_attachments()] == ["a.txt"]


def test_a_date_and_message_id_given_as_headers_are_written_once() -> None:
    mail = template_mail()
    mail.extra_headers |= {"Date": "Tue, 01 Dec 2026 08:00:00 -0000", "Message-ID": "<1@tsumugi>"}
    parsed = read_back(mail.message().as_bytes())
    assert parsed.get_all("Date") == ["Tue, 01 Dec 2026 08:00:00 -0000"]
    assert parsed.get_all("Message-ID") == ["<1@tsumugi>"]


def test_it_refuses_a_line_break_in_a_header() -> None:
    with pytest.raises(ValueError, match="newline"):
        template_mail(subject="督促\nBcc: eve@example.jp").message()


class OneSmtpServer:
    """A mail server for one conversation on a loopback port: it keeps the DATA it was given."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.data: list[bytes] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn, conn.makefile("rb") as lines:
            conn.sendall(b"220 test ESMTP\r\n")
            while line := lines.readline():
                verb = line[:4].upper()
                if verb == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    body = b""
                    while (chunk := lines.readline()) != b".\r\n":
                        body += chunk[1:] if chunk.startswith(b"..") else chunk
                    self.data.append(body)
                    conn.sendall(b"250 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[OneSmtpServer]:
    server = OneSmtpServer()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5},
        }
    }
    yield server
    server.close()


def test_it_goes_through_a_real_smtp_conversation_intact(smtp_server: OneSmtpServer) -> None:
    with mailers.default as smtp:
        assert smtp.send_messages([template_mail()]) == 1
    smtp_server.close()
    [raw] = smtp_server.data
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends only
    assert_same_mail(read_back(raw))
