"""The ORM queries ALCO's API makes, through Django 3.0 and django-sphinxsearch 4.2.0, checked
against the corpus itself. Usage: run.py DRIVER PORT CORPUS.json (DRIVER: pymysql | mysqlclient)."""
import json, os, sys

driver, port, corpus_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if driver == "pymysql":
    import pymysql
    pymysql.version_info = (2, 2, 1, "final", 0)  # Django 3.0 checks the MySQLdb version it sees
    pymysql.install_as_MySQLdb()
sys.path.insert(0, os.path.dirname(__file__))

import django
from django.conf import settings

settings.configure(
    DATABASES={
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        "sphinx": {"ENGINE": "sphinxsearch.backend.sphinx", "HOST": "127.0.0.1", "PORT": port, "NAME": "",
                   "USER": "django", "OPTIONS": {"charset": "utf8"}},
    },
    DATABASE_ROUTERS=["sphinxsearch.routers.SphinxRouter"],
    INSTALLED_APPS=["sphinxsearch", "alcotest"],
    USE_TZ=False,
)
django.setup()

from alcotest.models import Log, LogDay, LogDistr, LogX, LogXDay  # noqa: E402

rows = json.load(open(corpus_path))
docs = [(i, l, json.loads(j)) for i, l, j in rows]
docs.sort()


def words(text):
    import re
    return re.findall(r"[0-9a-z_\-.\u0430-\u044f\u0451]+", text.lower())


def check(label, got, expected):
    if got != expected:
        print("MISMATCH %s:\n  got      %r\n  expected %r" % (label, got, expected))
        sys.exit(1)


DAY_START = 1795564800 * 1_000_000_000  # 2026-11-25 00:00 UTC as an id
base = DAY_START + 23 * 3600 * 1_000_000_000 + (1 if driver == "pymysql" else 2) * 1_000_000_000

# create / get / save / delete
LogDay.objects.create(id=base + 1, logline="hello world from orm", js={"levelname": "INFO", "logger": "myapp", "host": "vm", "process": 42})
got = LogDay.objects.get(pk=base + 1)
check("get", (got.id, got.logline, got.js["process"]), (base + 1, "hello world from orm", 42))
got.logline = "hello world from orm (edited)"
got.save()
check("save", LogDay.objects.get(pk=base + 1).logline, "hello world from orm (edited)")
LogDay.objects.get(pk=base + 1).delete()
check("delete", LogDay.objects.filter(pk=base + 1).count(), 0)

# the log view: newest-first and oldest-first pages, cursor pages
page = list(Log.objects.order_by("id").options(max_matches=200)[:101])
check("first page", [x.id for x in page], [d[0] for d in docs[:101]])
# js.key columns come back as strings, as Sphinx sends JSON subfields (STRING columns).
check("js columns", (page[0].host, page[0].levelname, int(page[0].process)),
      (docs[0][2]["host"], docs[0][2]["levelname"], docs[0][2]["process"]))
after = page[-1].id
nxt = list(Log.objects.filter(id__gt=after).order_by("id").options(max_matches=200)[:101])
check("cursor page", [x.id for x in nxt], [d[0] for d in docs if d[0] > after][:101])
offset = list(Log.objects.filter(id__gt=docs[0][0]).order_by("id").options(max_matches=200)[2:103])
check("offset page", [x.id for x in offset], [d[0] for d in docs if d[0] > docs[0][0]][2:103])
newest = list(Log.objects.filter(id__lt=docs[-1][0]).order_by("-id").options(max_matches=200)[:101])
check("newest page", [x.id for x in newest], [d[0] for d in reversed(docs) if d[0] < docs[-1][0]][:101])
lo, hi = docs[100][0], docs[400][0]
ranged = list(LogDistr.objects.filter(id__gte=lo, id__lte=hi).order_by("id").options(max_matches=1000)[:1000])
check("id range on _distr", [x.id for x in ranged], [d[0] for d in docs if lo <= d[0] <= hi][:1000])

# search: a phrase on logline, with js IN filters and a snippet
term = "terminating"
hits = [d for d in docs if term in words(d[1])]
found = list(Log.objects.match('@logline ("%s")' % term).order_by("id").options(max_matches=1000)[:1000])
check("match", [x.id for x in found], [d[0] for d in hits][:1000])
check("count", Log.objects.match('@logline ("%s")' % term).count(), len(hits))
levels = ["ERROR", "WARNING"]
filtered = list(Log.objects.match('@logline ("%s")' % term).filter(levelname__in=levels)
                .extra(select={"logline_snippet": "SNIPPET(logline, %s, 'limit=1000000')"}, select_params=[term])
                .order_by("id").options(max_matches=1000)[:1000])
check("match + IN", [x.id for x in filtered], [d[0] for d in hits if d[2]["levelname"] in levels])
for x in filtered:
    if "<b>%s</b>" % term not in x.logline_snippet.lower():
        print("snippet without highlight: %r" % x.logline_snippet)
        sys.exit(1)
by_ids = list(Log.objects.filter(id__in=[docs[5][0], docs[9][0]]).order_by("id"))
check("IN(id)", [x.id for x in by_ids], [docs[5][0], docs[9][0]])
excluded = list(Log.objects.match('@logline ("%s")' % term).exclude(id=hits[0][0]).order_by("id").options(max_matches=1000)[:1000])
check("NOT id", [x.id for x in excluded], [d[0] for d in hits[1:]][:1000])
check("values_list", len(list(Log.objects.values_list("levelname", flat=True)[:10])), 10)
groups = {x.levelname for x in Log.objects.group_by("levelname")}
# Lines other tests wrote without a level form a NULL group.
check("group by", groups - {None}, {d[2]["levelname"] for d in docs})

# an indexed column (ALCO's rt_field request_id)
LogXDay.objects.create(id=base + 5, logline="indexed col row", js={"levelname": "INFO"}, request_id="abc123")
found = list(LogX.objects.match('@request_id ("abc123")').order_by("id").options(max_matches=200)[:101])
check("indexed column", [(x.id, x.logline) for x in found], [(base + 5, "indexed col row")])
LogXDay.objects.filter(pk=base + 5).delete()
print("ok")
