"""`flask bottles demo`: the demo data generator.

    catalogue  Jura bottle models, reasons, collection points, washer, estates, accounts
    history    two phases of journal rows, simulated day by day
    loading    both into an empty database, through the journal import

Reports adds the demo's phases through AFTER_DEMO (see bottles.demo.loading).
"""

from bottles.demo.loading import AFTER_DEMO, DemoError, database_is_empty, demo_accounts, load_demo

__all__ = ["AFTER_DEMO", "DemoError", "database_is_empty", "demo_accounts", "load_demo"]
