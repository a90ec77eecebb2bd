"""Django 3.0 with django-sphinxsearch 4.2.0: the ORM queries ALCO's API makes, per driver."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(__file__)


@pytest.mark.parametrize("driver", ["pymysql", "mysqlclient"])
def test_alco_orm_queries(alco, rows, driver, tmp_path):
    corpus = tmp_path / "corpus.json"
    corpus.write_text(json.dumps(rows))
    r = subprocess.run([sys.executable, os.path.join(HERE, "django_scenario", "run.py"), driver, str(alco.port), str(corpus)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr
