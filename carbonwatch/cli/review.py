"""`carbonwatch review`: the facts waiting for an analyst, and their accept / reject.

Listing reads the snapshot like the other analyst commands. A decision writes: it opens the live
warehouse read-write for the one transaction (record the decision, re-diff that company), closes
it and publishes a new snapshot, so it must not run while a nightly load holds the file (DuckDB
has one writer: the command then fails with the lock error and changes nothing).
Registered in carbonwatch.cli.
"""
from __future__ import annotations

import click

from carbonwatch.cli.analyst import WAREHOUSE_HELP, _emit, _format_options, _open, _warehouse

LIST_COLUMNS = ["review_id", "case_no", "company", "target_key", "value", "confidence", "rule", "reason",
                "change", "old_value", "new_value", "would_alert", "page", "status"]
DETAIL_COLUMNS = ["evidence", "document_id", "first_seen_at", "last_seen_at", "decided_at", "reviewer", "note"]


@click.group(invoke_without_command=True)
@click.option("--warehouse", "-w", type=click.Path(dir_okay=False), help=WAREHOUSE_HELP)
@click.option("--all", "show_all", is_flag=True, help="Also decided and superseded items, not only pending ones.")
@click.option("--company", "case_no", type=int, help="Only this company (case_no).")
@_format_options
@click.option("--evidence", is_flag=True, help="Also show the quote, the document and who decided when.")
@click.pass_context
def review(ctx, warehouse, show_all, case_no, fmt, evidence) -> None:
    """List the facts waiting for review, with the alert each would raise; accept or reject them.

    A fact below the review confidence (CARBONWATCH_REVIEW_CONFIDENCE, default 0.65), or one that
    would overwrite a value an analyst accepted with less confidence than it, changes no target
    and raises no alert: it waits here. A decision holds for the company, target and value, also
    in later reports: a rejected value never alerts again; an accepted one is trusted.

    \b
      carbonwatch review                          # pending facts and the alerts they would raise
      carbonwatch review accept 3f2a9c --reviewer ana --note "checked p. 23"
      carbonwatch review reject 77b0 e41c         # ids or unique prefixes (4+ characters)
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"warehouse": warehouse}
        return
    cols = LIST_COLUMNS + (DETAIL_COLUMNS if evidence or fmt else [])
    import duckdb

    con = _open(warehouse)
    try:
        data = con.execute(
            f"SELECT {', '.join(cols)} FROM review_items WHERE (? OR status = 'pending') "
            "AND (?::INTEGER IS NULL OR case_no = ?) ORDER BY status <> 'pending', would_alert DESC, case_no, "
            "target_key, value", [show_all, case_no, case_no]).fetchall()
    except duckdb.CatalogException:
        raise click.ClickException("this snapshot predates the review list: the next run publishes one "
                                   "that has it") from None
    finally:
        con.close()
    _emit(cols, data, fmt or "table")


def _decide(ctx, ids, decision, reviewer, note, warehouse) -> None:
    from warehouse.db import connect
    from warehouse.history import decide
    from warehouse.snapshot import publish_snapshot

    path = _warehouse(warehouse or (ctx.obj or {}).get("warehouse"))
    con = connect(path)
    try:
        done = decide(con, list(ids), decision, reviewer=reviewer, note=note)
        con.execute("CHECKPOINT")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        con.close()
    publish_snapshot(path)
    click.echo(f"{decision} {len(done['decided'])} item(s): {', '.join(done['decided'])}; "
               f"history rows +{done['history_rows']}, alerts +{done['alerts']}"
               + (" (delivered by the next nightly run)" if done["alerts"] else ""))


def _decision_command(decision: str, doc: str):
    @click.command(name=decision[:-2], help=doc)
    @click.argument("ids", nargs=-1, required=True)
    @click.option("--reviewer", "-r", help="Who decided (recorded with the decision).")
    @click.option("--note", "-n", help="Why (recorded with the decision).")
    @click.option("--warehouse", "-w", type=click.Path(dir_okay=False), help="Warehouse DuckDB file (the live "
                  "one: a decision writes, then publishes a new snapshot).")
    @click.pass_context
    def command(ctx, ids, reviewer, note, warehouse):
        _decide(ctx, ids, decision, reviewer, note, warehouse)

    return command


review.add_command(_decision_command("accepted", """Accept review items (ids or unique prefixes): the fact is
trusted from now on (also when re-extracted from a later report), its company's current report is re-diffed
at once, and the change it was holding back is recorded with its alert (none for a baseline report)."""))
review.add_command(_decision_command("rejected", """Reject review items (ids or unique prefixes): the value never
changes that target nor alerts again, also when a later report yields it again."""))
