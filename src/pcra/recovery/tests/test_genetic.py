"""The genetic algorithm (``recovery.scheduler.genetic``) and its place in ``solve``. Every
schedule goes through the independent checker."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given

from pcra.recovery.scheduler import genetic
from pcra.recovery.scheduler import solve as solve_module
from pcra.recovery.scheduler.checker import violations
from pcra.recovery.scheduler.heuristic import Indexed, priority_schedule
from pcra.recovery.scheduler.model import Problem, Resource, Task
from pcra.recovery.scheduler.solve import GENETIC, solve

from .test_solver import FAST, J30_OPTIMA, layered, objective, problems, psplib

pytestmark = pytest.mark.no_db


def run(problem: Problem, **options) -> genetic.GeneticResult:
    indexed = Indexed(problem)
    result = genetic.search(indexed, **options)
    assert violations(problem, indexed.as_dict(result.starts)) == []
    assert indexed.objective(result.starts) == result.value  # the value is the schedule's
    return result


@FAST
@given(problems())
def test_every_schedule_is_feasible_and_no_worse_than_its_first_order(problem):
    indexed = Indexed(problem)
    if not genetic.fits(indexed):  # a single task
        with pytest.raises(ValueError, match="priority rules"):
            genetic.search(indexed, schedules=10)
        return
    rules = indexed.as_list(priority_schedule(problem, passes=0))
    order = sorted(range(indexed.n), key=lambda i: (rules[i], indexed.rank[i]))
    result = run(problem, schedules=300, seed=5, orders=[order], population=8, restart=3)
    assert result.value <= objective(problem, indexed.as_dict(rules))
    # The same seed, the same search.
    again = genetic.search(indexed, schedules=300, seed=5, orders=[order], population=8,
                           restart=3)
    assert (again.starts, again.schedules) == (result.starts, result.schedules)


@pytest.mark.parametrize("name", ["j301_1", "j3010_5", "j3037_9", "j3048_10"])
def test_j30_instances_reach_their_optimum_from_the_topological_order(name):
    result = run(psplib(name), schedules=20_000)
    assert result.value == (0, J30_OPTIMA[name])
    assert result.schedules >= 20_000 and result.generations > 20


def test_the_weighted_lateness_comes_first():
    # B must end by 5 (its activity M is due then, weight 10), and the order given puts A
    # first: the search must find B first even though that costs the makespan.
    problem = Problem([Resource("R", 1)], [
        Task("A", 5, {"R": 1}, ("C",)), Task("B", 5, {"R": 1}, ("M",)), Task("C", 5),
        Task("M", 0, due=5, weight=10)])
    result = run(problem, schedules=500, orders=[[0, 1, 2, 3]], population=6)
    assert result.value == (0, 15)
    assert Indexed(problem).as_dict(result.starts) == {"A": 5, "B": 0, "C": 10, "M": 5}


def test_releases_are_waited_for():
    problem = Problem([Resource("R", 1)], [
        Task("A", 4, {"R": 1}, ("C",), release=3), Task("B", 3, {"R": 1}), Task("C", 2)])
    result = run(problem, schedules=300, population=4)
    assert result.value == (0, 9)


def test_the_seed_decides_the_search_and_threads_do_not_disturb_each_other():
    problem = psplib("j1201_1")
    indexed = Indexed(problem)
    alone = {seed: genetic.search(indexed, schedules=3_000, seed=seed).starts
             for seed in (1, 2)}
    assert alone[1] != alone[2]
    together: dict[int, list[int]] = {}

    def search(seed: int) -> None:
        together[seed] = genetic.search(indexed, schedules=3_000, seed=seed).starts

    threads = [threading.Thread(target=search, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert together == alone


def test_a_deadline_stops_the_search_with_a_feasible_schedule():
    result = run(psplib("j1201_1"), schedules=10**9, deadline=0.0)
    assert result.stopped_by_clock
    assert result.generations == genetic.CHUNK_GENERATIONS


def test_solve_says_when_the_clock_cut_the_genetic_phase(monkeypatch):
    monkeypatch.setattr(solve_module, "GENETIC_WALL_SHARE", 0.0)
    problem = psplib("j1201_1")
    schedule = solve(problem, time_limit=2)
    assert violations(problem, schedule.starts) == []
    assert not schedule.reproducible
    assert any(note.startswith("The genetic algorithm was stopped by the clock after ")
               for note in schedule.notes)


def test_a_target_met_stops_the_search():
    result = run(psplib("j301_1"), schedules=10**9, target=(0, 43))
    assert result.value == (0, 43) and not result.stopped_by_clock


def test_orders_that_are_not_permutations_or_break_precedence_are_refused():
    indexed = Indexed(psplib("j301_1"))
    with pytest.raises(ValueError, match="permutation"):
        genetic.search(indexed, schedules=100, orders=[[0, 0, *range(2, indexed.n)]])
    problem = Problem([Resource("R", 1)], [Task("a", 2, {"R": 1}, ("b",)), Task("b", 1, {"R": 1}),
                                           Task("c", 1, {"R": 1})])
    with pytest.raises(ValueError, match="puts 'b' before its predecessor 'a'"):
        genetic.search(Indexed(problem), schedules=100, orders=[[1, 0, 2]])


def test_long_tasks_without_demands_are_not_scanned_unit_by_unit():
    # Two waits of 400,000 time units (a supplier's delivery: no team) beside short work: a
    # schedule is decoded without looking at each of those units, and the cost estimate says so.
    tasks = [Task(f"t{i}", 3, {"R": 1}, (f"t{i + 1}",) if i < 39 else ()) for i in range(40)]
    tasks += [Task("wait1", 400_000, {}, ("t10",)), Task("wait2", 400_000)]
    problem = Problem([Resource("R", 2)], tasks)
    indexed = Indexed(problem)
    assert genetic.fits(indexed)
    assert genetic.schedule_cost(indexed) < 1_000  # the waits count one each
    result = run(problem, schedules=2_000, population=10)
    assert result.value == (0, 400_000 + 30 * 3)


def test_a_profile_too_large_is_refused_and_solve_keeps_to_the_priority_rules():
    # Two tasks of a year in minutes on six teams: 6 x 1,051,201 cells.
    year = 525_600
    problem = Problem([Resource(f"T{r}", 1) for r in range(6)],
                      [Task("a", year, {"T0": 1}), Task("b", year, {"T0": 1})])
    indexed = Indexed(problem)
    assert genetic.cells(indexed) > genetic.MAX_CELLS and not genetic.fits(indexed)
    with pytest.raises(ValueError, match="profile cells"):
        genetic.search(indexed, schedules=100)
    assert solve_module.genetic_schedules(indexed, 100.0) == 0


def test_schedules_are_estimated_from_the_problem_and_bounded():
    small, j120, plan = (Indexed(psplib("j301_1")), Indexed(psplib("j1201_1")),
                         Indexed(layered(3000)))
    assert solve_module.genetic_schedules(Indexed(Problem([], [])), 10) == 0
    assert solve_module.genetic_schedules(j120, 3.0) > solve_module.genetic_schedules(j120, 1.0)
    assert solve_module.genetic_schedules(j120, 1000.0) == 2_000 * j120.n
    assert solve_module.genetic_schedules(small, 0.001) == 0  # not even a few generations
    assert solve_module.genetic_schedules(plan, 1.5) == 0  # too costly per schedule


def test_solve_runs_the_genetic_phase_on_j120_and_reports_it():
    problem = psplib("j1201_1")
    phases: list[str] = []
    schedule = solve(problem, time_limit=3, progress=lambda phase, done: phases.append(phase))
    assert violations(problem, schedule.starts) == []
    assert phases == ["validating", "priority-rules", "genetic", "cp-sat", "done"]
    assert schedule.makespan <= 110
    # The genetic algorithm alone (CP-SAT not allowed): its schedule is the answer.
    alone = solve(problem, time_limit=3, max_cpsat_tasks=0)
    assert violations(problem, alone.starts) == []
    assert alone.method == GENETIC
    assert any("genetic algorithm" in note for note in alone.notes)
    assert alone.to_dict()["method"] == "genetic"
    assert alone.starts == solve(problem, time_limit=3, max_cpsat_tasks=0).starts
