"""One home per definition: filter operators, indicator kinds and labels as registered objects.

* :mod:`.ops` — every filter operator (:class:`~.ops.FilterOp`): the columns it reads, its
  engine expression, its words in Chinese and English and the :class:`~coopmetrics.registry.Options`
  fields it depends on, in one table (:data:`~.ops.FILTER_OPS`).
* :mod:`.kinds` — every indicator kind (:class:`~.kinds.Kind`): the statistics a group-by pass
  collects, the estimator that turns them into estimate / se / interval, and the comparison kind
  :func:`coopmetrics.compare` uses, in one table (:data:`~.kinds.KIND_TABLE`).
* :mod:`.labels` — one bilingual label table for units.
* :mod:`.catalog` — the indicator declarations themselves (data only).

Adding an op or a kind is one :func:`~.ops.register_op` / :func:`~.kinds.register_kind` call;
both also work as context managers that undo the registration (used by the tests).

Named ``definitions`` rather than ``indicators`` so that it never shadows the public function
:func:`coopmetrics.indicators`.
"""
