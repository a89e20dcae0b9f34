"""A literal journal writer following target_engine/journal/SCHEMA.md (CRC per record), for tests."""

import json
import sqlite3
import zlib

import pytest

from harness.history import HistoryWriter

DDL = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE commands(seq INTEGER PRIMARY KEY, epoch INTEGER, ts_ms INTEGER, kind TEXT, payload TEXT,
  crc INTEGER);
CREATE TABLE events(seq INTEGER, idx INTEGER, kind TEXT, payload TEXT, crc INTEGER, PRIMARY KEY(seq, idx));
CREATE TABLE epochs(epoch INTEGER PRIMARY KEY, color TEXT, started_ms INTEGER, start_seq INTEGER);
CREATE TABLE lease(id INTEGER PRIMARY KEY, epoch INTEGER, holder TEXT, expires_ms INTEGER);
CREATE TABLE snapshots(seq INTEGER PRIMARY KEY, epoch INTEGER, ts_ms INTEGER, state_hash TEXT, payload BLOB,
  crc INTEGER);
CREATE TABLE funding_settlements(symbol TEXT, interval_start_ms INTEGER, seq INTEGER, rate TEXT, payload TEXT,
  crc INTEGER, PRIMARY KEY(symbol, interval_start_ms));
CREATE TABLE quarantine(id INTEGER PRIMARY KEY, tbl TEXT, seq INTEGER, row TEXT, reason TEXT);
"""

M = 10**10  # money scale
Q = 10**6  # qty scale
P = 10**4  # price scale


def crc(text):
    return zlib.crc32(text.encode()) & 0xFFFFFFFF


def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


class JournalBuilder:
    def __init__(self, path):
        self.path = path
        self.seq = 0
        self.conn = sqlite3.connect(path)
        self.conn.executescript(DDL)
        self.conn.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('engine_config', '{}')")
        self.conn.execute("INSERT INTO epochs VALUES (1, 'blue', 0, 1)")

    def set_config(self, config):
        """The engine config the journal was created with (meta ``engine_config``)."""
        self.conn.execute("UPDATE meta SET value = ? WHERE key = 'engine_config'", (json.dumps(config),))
        self.conn.commit()

    def command(self, kind, events=(), ts_ms=None, **payload):
        self.seq += 1
        seq, ts = self.seq, ts_ms if ts_ms is not None else 1000 * self.seq
        body = canon(dict(payload, type=kind, seq=seq, ts_ms=ts))
        self.conn.execute(
            "INSERT INTO commands VALUES (?,?,?,?,?,?)",
            (seq, 1, ts, kind, body, crc(f"{seq}|1|{ts}|{kind}|{body}")),
        )
        for idx, (ekind, epayload) in enumerate(events):
            eb = canon(dict(epayload, type=ekind))
            self.conn.execute(
                "INSERT INTO events VALUES (?,?,?,?,?)",
                (seq, idx, ekind, eb, crc(f"{seq}|{idx}|{ekind}|{eb}")),
            )
            if ekind == "FundingSettled":
                sym, start, rate = epayload["symbol"], epayload["interval_start"], str(epayload["rate"])
                self.conn.execute(
                    "INSERT INTO funding_settlements VALUES (?,?,?,?,?,?)",
                    (sym, start, seq, rate, eb, crc(f"{sym}|{start}|{seq}|{rate}|{eb}")),
                )
        self.conn.commit()
        return seq

    def deposit(self, account, amount, balance=None, asset="USDT"):
        return self.command(
            "Deposit",
            [
                (
                    "WalletChanged",
                    {
                        "account": account,
                        "asset": asset,
                        "delta": amount * M,
                        "balance": (balance or amount) * M,
                        "reason": "DEPOSIT",
                    },
                )
            ],
            account=account,
            asset=asset,
            amount=amount * M,
        )

    def place(self, account, coid, accepted=True, side="BUY", qty=1, price=100, extra=(), ts_ms=None):
        ev = (
            (
                "OrderAccepted",
                {
                    "account": account,
                    "client_order_id": coid,
                    "order_id": coid,
                    "symbol": "BTCUSDT",
                    "side": side,
                    "qty": qty * Q,
                    "price": price * P,
                },
            )
            if accepted
            else (
                "OrderRejected",
                {
                    "command": "PlaceOrder",
                    "account": account,
                    "client_order_id": coid,
                    "code": "INSUFFICIENT_MARGIN",
                    "reason": "x",
                },
            )
        )
        return self.command(
            "PlaceOrder",
            [ev, *extra],
            ts_ms=ts_ms,
            account=account,
            client_order_id=coid,
            symbol="BTCUSDT",
            side=side,
            qty=qty * Q,
            price=price * P,
        )

    def trade(
        self,
        buyer,
        seller,
        qty=1,
        price=100,
        fee=0,
        buyer_cost=None,
        seller_cost=None,
        buyer_pos=None,
        seller_pos=None,
        taker="buyer",
    ):
        """A resting sell from ``seller`` taken by ``buyer`` (or the reverse); positions as given."""
        taker_acct, maker_acct = (buyer, seller) if taker == "buyer" else (seller, buyer)
        side = "BUY" if taker == "buyer" else "SELL"
        fill = {
            "trade_id": f"t{self.seq + 1}",
            "symbol": "BTCUSDT",
            "price": price * P,
            "qty": qty * Q,
            "taker_side": side,
            "taker_account": taker_acct,
            "taker_client_order_id": f"c{self.seq + 1}",
            "maker_account": maker_acct,
            "maker_client_order_id": f"m{self.seq + 1}",
            "taker_fee": fee * M,
            "maker_fee": 0,
            "liquidation": False,
            "adl": False,
        }
        evs = [("Fill", fill)]
        for acct, pos, cost in ((buyer, buyer_pos, buyer_cost), (seller, seller_pos, seller_cost)):
            if pos is not None:
                evs.append(
                    (
                        "PositionChanged",
                        {
                            "account": acct,
                            "symbol": "BTCUSDT",
                            "qty": pos * Q,
                            "cost": cost * M,
                            "realized_pnl": 0,
                            "margin_type": "cross",
                            "isolated_margin": 0,
                        },
                    )
                )
        return self.command("PlaceOrder", evs, account=taker_acct, client_order_id=f"c{self.seq + 1}")

    def close(self):
        self.conn.close()


@pytest.fixture
def run_dir(tmp_path):
    return tmp_path


@pytest.fixture
def journal(run_dir):
    b = JournalBuilder(run_dir / "journal.sqlite")
    yield b
    b.close()


@pytest.fixture
def history(run_dir):
    clock = iter(float(i) for i in range(1, 100000)).__next__
    w = HistoryWriter(run_dir / "history.jsonl", proc="test", clock=clock)
    yield w
    w.close()
