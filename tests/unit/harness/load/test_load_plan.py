from decimal import Decimal

import pytest

from harness.load.config import (
    LoadConfig,
    LoadConfigError,
    Step,
    TaskMix,
    config_from_json,
    load_config_from_env,
)
from harness.load.plan import UserPlan, account_name, all_accounts, client_order_id, parse_mark


def _cfg(**kw):
    return LoadConfig(run_id="r1", out_dir="/tmp/unused", seed=7, accounts=50, **kw)


def test_account_names_are_padded_and_one_based():
    assert account_name(1) == "acct-0001"
    assert all_accounts(3) == ["acct-0001", "acct-0002", "acct-0003"]


def test_client_order_id_format():
    assert client_order_id("r1", 2, 5, 17) == "gd-r1-2-5-17"


def _run(plan: UserPlan, n: int) -> list[tuple]:
    out = []
    for _ in range(n):
        op = plan.next_op()
        order = plan.new_order(plan.instrument())
        out.append((op, order))
    return out


def test_same_seed_and_indices_give_the_same_sequence():
    a, b = UserPlan(_cfg(), 0, 1), UserPlan(_cfg(), 0, 1)
    assert a.accounts == b.accounts
    assert _run(a, 200) == _run(b, 200)


def test_other_user_or_seed_gives_another_sequence():
    base = _run(UserPlan(_cfg(), 0, 1), 50)
    assert base != _run(UserPlan(_cfg(), 0, 2), 50)
    assert base != _run(UserPlan(_cfg(), 1, 1), 50)
    other = LoadConfig(run_id="r1", out_dir="/tmp/unused", seed=8, accounts=50)
    assert base != _run(UserPlan(other, 0, 1), 50)


def test_orders_respect_tick_step_min_notional_and_stay_near_the_mark():
    cfg = _cfg()
    plan = UserPlan(cfg, 3, 4)
    plan.set_mark("BTCUSDT", Decimal("61234.56"))
    for _ in range(500):
        inst = plan.instrument()
        order = plan.new_order(inst)
        assert order.price % inst.tick == 0
        assert order.qty % inst.step == 0
        assert order.qty >= inst.min_qty
        assert order.qty * order.price >= inst.min_notional
        mark = plan.marks[inst.symbol]
        assert abs(order.price - mark) / mark <= Decimal("0.0031")
        assert order.account in plan.accounts
        assert order.side in ("BUY", "SELL") and order.time_in_force in ("GTC", "IOC")
        body = order.body()
        assert body["type"] == "LIMIT" and body["qty"] == str(order.qty)


def test_client_order_ids_are_unique_per_user_and_across_users():
    ids = set()
    for user in range(1, 6):
        plan = UserPlan(_cfg(), 0, user)
        for _ in range(100):
            ids.add(plan.next_client_order_id())
    assert len(ids) == 500


def test_mix_weights_zero_disables_an_op():
    plan = UserPlan(_cfg(mix=TaskMix(place=1, cancel=0, query=0, deposit=0)), 0, 1)
    assert {plan.next_op() for _ in range(100)} == {"place"}


def test_cancel_targets_come_from_remembered_orders_once():
    plan = UserPlan(_cfg(), 0, 1)
    assert plan.take_cancel_target() is None
    order = plan.new_order(plan.instrument())
    plan.remember(order)
    target = plan.take_cancel_target()
    assert target is not None and target.client_order_id == order.client_order_id
    assert plan.take_cancel_target() is None


def test_mark_refresh_on_first_and_every_nth_place():
    plan = UserPlan(_cfg(mark_refresh_every=3), 0, 1)
    seen = [plan.wants_mark_refresh("BTCUSDT") for _ in range(7)]
    assert seen == [True, False, False, True, False, False, True]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"mark_price": "60000.5"}, Decimal("60000.5")),
        ({"mark": "3000"}, Decimal("3000")),
        ({"mark_price": "nan", "index_price": "10"}, Decimal("10")),
        ({"mark_price": "-1"}, None),
        ({"mark_price": "abc"}, None),
        ([], None),
        (None, None),
    ],
)
def test_parse_mark(body, expected):
    assert parse_mark(body) == expected


def test_config_round_trips_through_json():
    cfg = _cfg(steps=(Step(2.0, 5, 5.0), Step(1.0, 20, 20.0)), mix=TaskMix(1, 2, 3, 4))
    again = config_from_json(cfg.to_json())
    assert again == cfg
    assert again.shape_seconds == 3.0


@pytest.mark.parametrize(
    "patch",
    [
        {"run_id": "has space"},
        {"run_id": "much-too-long-run-id"},
        {"accounts": 0},
        {"mix": {"place": 0, "cancel": 0, "query": 0, "deposit": 0}},
        {"mix": {"place": -1}},
        {"steps": [{"duration": 0, "users": 1, "spawn_rate": 1}]},
        {"deposit_amount": "x"},
        {"deposit_amount": "-5"},
        {"instruments": []},
        {"instruments": [{"symbol": "X"}]},
        {"surprise": 1},
        {"timeout_seconds": 0},
    ],
)
def test_bad_config_raises_a_clear_error(patch):
    data = _cfg().to_json() | patch
    with pytest.raises(LoadConfigError) as err:
        config_from_json(data)
    assert err.value.code == "LOAD_CONFIG"


def test_config_from_env_names_the_variable(tmp_path):
    with pytest.raises(LoadConfigError, match="GAMEDAY_LOAD_CONFIG"):
        load_config_from_env({})
    path = _cfg().write(tmp_path / "c.json")
    assert load_config_from_env({"GAMEDAY_LOAD_CONFIG": str(path)}) == _cfg()
    (tmp_path / "bad.json").write_text("[1]")
    with pytest.raises(LoadConfigError, match="object"):
        load_config_from_env({"GAMEDAY_LOAD_CONFIG": str(tmp_path / "bad.json")})
