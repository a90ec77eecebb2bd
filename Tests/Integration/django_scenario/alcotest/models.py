"""ALCO's models, as its API declared them for Sphinx: a day table to write, the all-days
table to read with js attributes as columns."""
from django.db import models
from sphinxsearch import models as spx

DAY = "20261125"


class LogDay(spx.SphinxModel):
    id = models.BigIntegerField(primary_key=True)
    logline = spx.SphinxField()
    js = spx.SphinxJSONField()

    class Meta:
        db_table = "logs_" + DAY
        app_label = "alcotest"


class LogColumns(spx.SphinxModel):
    id = models.BigIntegerField(primary_key=True)
    logline = spx.SphinxField()
    js = spx.SphinxJSONField()
    host = models.CharField(max_length=255, db_column="js.host")
    levelname = models.CharField(max_length=255, db_column="js.levelname")
    logger = models.CharField(max_length=255, db_column="js.logger")
    process = models.IntegerField(db_column="js.process")

    class Meta:
        abstract = True


class Log(LogColumns):
    class Meta:
        db_table = "logs"
        app_label = "alcotest"


class LogDistr(LogColumns):
    class Meta:
        db_table = "logs_" + DAY + "_distr"
        app_label = "alcotest"


class LogXColumns(spx.SphinxModel):
    """logsx had `rt_field = request_id` in ALCO's sphinx.conf."""
    id = models.BigIntegerField(primary_key=True)
    logline = spx.SphinxField()
    js = spx.SphinxJSONField()
    request_id = spx.SphinxField()

    class Meta:
        abstract = True


class LogX(LogXColumns):
    levelname = models.CharField(max_length=255, db_column="js.levelname")

    class Meta:
        db_table = "logsx"
        app_label = "alcotest"


class LogXDay(LogXColumns):
    class Meta:
        db_table = "logsx_" + DAY
        app_label = "alcotest"
