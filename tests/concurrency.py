import threading

from django.db import connection


def at_once(action, *, times: int = 2) -> tuple[list, list[Exception]]:
    """Run ``action`` in ``times`` threads released together: what each returned, and what each
    raised (a 500 surfaces here). Each thread closes its own database connection."""
    results, errors = [], []
    start = threading.Barrier(times)

    def run():
        try:
            start.wait()
            results.append(action())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
