"""Run the same work in several threads at once, as several workers or schedulers would."""
import threading

from contracts_app.extensions import db


def run_together(app, work, runs=2, expected=()):
    """Run ``work(index)`` in ``runs`` threads released together by a barrier, each with its own
    app context and session. Returns (results, refused): the values returned, and the errors of
    the ``expected`` types raised; any other error fails the test."""
    barrier = threading.Barrier(runs)
    results, refused, crashed = [], [], []

    def run(index):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.append(work(index))
            except expected as error:
                refused.append(error)
            except Exception as error:  # reported below
                crashed.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not crashed, crashed
    assert len(results) + len(refused) == runs, "a thread did not finish"
    return results, refused
