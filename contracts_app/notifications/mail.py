"""Sending email over SMTP (stdlib smtplib), or to the log when no SMTP server is configured."""
import logging
import smtplib
import ssl

logger = logging.getLogger("notifications.mail")

DEFAULT_TIMEOUT_SECONDS = 10

# Errors about one message (this recipient, this content): the server is up and answering, so
# the rest of the run goes on. Anything else (refused connection, timeout, lost connection,
# failed login) means the server cannot be used right now.
MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
)


def is_permanent_refusal(error):
    """True when the server refused this message for good: a 5xx reply to the recipient (RCPT)
    or to the message (DATA). 4xx replies ("try again later"), connection problems and timeouts
    are temporary. A refused *sender* is left temporary on purpose: it is the configuration's
    fault (MAIL_DEFAULT_SENDER), would refuse every message alike, and is fixed by the operator,
    after which the backed-off messages still go."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(500 <= int(code) < 600 for code in codes)
    if isinstance(error, smtplib.SMTPDataError):
        return 500 <= int(error.smtp_code) < 600
    return False


class MailServerError(OSError):
    """The SMTP server could not be reached or used (connect, STARTTLS or login failed)."""

    def __init__(self, error):
        super().__init__(f"{type(error).__name__}: {error}")


class Mailer:
    """Sends messages over one SMTP connection, opened on first use and reopened after an error.

    With no ``MAIL_SERVER`` the full message is written to the ``notifications.mail`` logger
    instead (development), and counts as sent. Use as a context manager so the connection is
    closed at the end of the run.
    """

    def __init__(self, config):
        self.server = config.get("MAIL_SERVER") or None
        self.port = int(config.get("MAIL_PORT") or 25)
        self.use_tls = bool(config.get("MAIL_USE_TLS"))
        self.username = config.get("MAIL_USERNAME") or None
        self.password = config.get("MAIL_PASSWORD") or ""
        self.timeout = config.get("MAIL_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS
        self._smtp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def send(self, message):
        """Deliver ``message`` (an EmailMessage) or raise smtplib.SMTPException / OSError."""
        if self.server is None:
            logger.info("MAIL_SERVER is not set, so this email was logged instead of sent:\n%s", message.as_string())
            return
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except Exception:
            # After any error the connection's state is unknown: drop it and reconnect next time.
            self._drop()
            raise

    def _connect(self):
        # Any failure here is the server's, not the message's (e.g. STARTTLS not offered raises
        # SMTPNotSupportedError, which during sending would be about one message).
        try:
            smtp = smtplib.SMTP(self.server, self.port, timeout=self.timeout)
        except (smtplib.SMTPException, OSError) as error:
            raise MailServerError(error) from error
        try:
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
        except (smtplib.SMTPException, OSError) as error:
            smtp.close()
            raise MailServerError(error) from error
        return smtp

    def _drop(self):
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self):
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self._drop()
