"""Entry point of the scheduler process."""
import signal
import sys
import threading

from config.log import configure_logging
from contracts_app import create_app
from scheduler.jobs import build_scheduler, log

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def main():
    app = create_app()
    # The stop signals are blocked in every thread (the job threads inherit the mask) and taken
    # by the main thread with sigwait. Otherwise the kernel may hand SIGTERM to an idle job
    # thread, and the main thread, asleep until the next job is due, would only see it then
    # (up to a minute late; systemd's stop timeout may kill it meanwhile).
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    # Run each job once at start so statuses are current without waiting a whole interval.
    scheduler = build_scheduler(app, start_now=True)
    jobs = ", ".join(f"{job.id} ({job.trigger})" for job in scheduler.get_jobs())
    log.info("scheduler: starting with jobs: %s", jobs)
    runner = threading.Thread(target=scheduler.start, name="scheduler")
    runner.start()
    signum = signal.sigwait(STOP_SIGNALS)
    # A second signal (make run's trap and the terminal both send one) stays blocked: ignored.
    log.info("scheduler: received signal %s, shutting down", signum)
    scheduler.shutdown(wait=False)
    runner.join()
    log.info("scheduler: stopped")
    return 0


if __name__ == "__main__":
    configure_logging()
    sys.exit(main())
