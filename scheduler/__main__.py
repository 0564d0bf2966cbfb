"""Entry point of the scheduler process."""
import signal
import sys

from config.log import configure_logging
from contracts_app import create_app
from scheduler.jobs import build_scheduler, log


def main():
    app = create_app()
    # Run each job once at start so statuses are current without waiting a whole interval.
    scheduler = build_scheduler(app, start_now=True)

    def stop(signum, frame):
        if not scheduler.running:
            return  # a second signal while stopping (make run's trap and the terminal both send one)
        log.info("scheduler: received signal %s, shutting down", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    jobs = ", ".join(f"{job.id} ({job.trigger})" for job in scheduler.get_jobs())
    log.info("scheduler: starting with jobs: %s", jobs)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    log.info("scheduler: stopped")
    return 0


if __name__ == "__main__":
    configure_logging()
    sys.exit(main())
