"""The demo's promotion meetings: the county's 79th promotion meeting (第79次全县脱贫攻坚推进会) and
Balihe town's meeting of 2018-01-14 conveying it, which assigned work "with clear responsibilities,
division of labour and personnel":

- the work teams verify every household's ledger in three villages by 2018-03-31, measured by the
  verified share of those villages (about 37% verified in the last year on the demo's date: late);
- the town's poverty-alleviation office refines the assistance measures and readies the data for
  the third-party assessment (not measured; noted done in March 2018);
- everyone builds the 5A scenic area's tourism chain (eating, staying, travelling, entertainment)
  in the two villages beside it, measured by their industry-plan coverage against 85% (about 88%:
  done);
- the agricultural service centre explores "company + cooperative (base) + poor households" in two
  villages, measured by their stable-income share against 60% (about 57% by the 2019 deadline: late).

Where each stands is never stored: the queries work it out from the demo's verification visits and
industry plans (lib.queries.meetings), so it agrees with every other page. Rows carry fixed
timestamps, so the same seed gives the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core.domain import MeetingLevel, TaskStatus
from lib.core.models import Meeting, MeetingTask, MeetingTaskNote, MeetingTaskPlace, Town, Village

BALIHE = "349901105"  # lib.demo.county.DEMO_TOWN_CODE (八里河镇)
COUNTY_HELD = dt.date(2018, 1, 10)
TOWN_HELD = dt.date(2018, 1, 14)


@dataclass(frozen=True)
class _Task:
    what: str
    unit: str
    person: str | None
    deadline: dt.date | None
    status: TaskStatus
    villages: Sequence[int] = ()  # positions among the town's villages by code
    measure: str | None = None
    target: float | None = None
    notes: Sequence[tuple[dt.date, str, TaskStatus | None]] = ()


COUNTY_TASKS = (
    _Task(
        "各乡镇组织驻村工作队逐户核实建档立卡贫困户档案台账，确保账实相符",
        "各乡镇党委、政府",
        None,
        dt.date(2018, 3, 31),
        TaskStatus.IN_PROGRESS,
        measure="verified_share",
        target=1.0,
    ),
    _Task(
        "各乡镇于 1 月 20 日前传达本次会议精神，明确责任分工和人员",
        "各乡镇党委",
        None,
        dt.date(2018, 1, 20),
        TaskStatus.DONE,
        notes=((dt.date(2018, 1, 19), "25 个乡镇均已召开推进会传达落实。", TaskStatus.DONE),),
    ),
)

TOWN_TASKS = (
    _Task(
        "各驻村工作队逐户核实贫困户档案台账，做到账实相符、不漏一户",
        "各驻村工作队",
        "镇扶贫工作站 王站长",
        dt.date(2018, 3, 31),
        TaskStatus.IN_PROGRESS,
        villages=(3, 6, 7),
        measure="verified_share",
        target=1.0,
        notes=(
            (
                dt.date(2018, 2, 10),
                "雷寨、苏桥、孙湾三村完成首轮入户，发现台账与实际不符 12 处，正在整改。",
                TaskStatus.IN_PROGRESS,
            ),
            (dt.date(2018, 4, 2), "未按期完成：外出务工户较多，部分户未能见面核实，延至二季度。", None),
        ),
    ),
    _Task(
        "镇扶贫办进一步细化帮扶措施，做好迎接第三方评估的数据准备",
        "镇扶贫办",
        "李主任",
        dt.date(2018, 6, 30),
        TaskStatus.NOT_STARTED,
        notes=(
            (dt.date(2018, 3, 20), "帮扶措施已逐户细化到人，评估所需数据已整理核对入库。", TaskStatus.DONE),
        ),
    ),
    _Task(
        "全镇上下共建 5A 级景区旅游产业链，完善吃、住、行、游、娱配套，带动贫困户参与",
        "镇旅游办",
        None,
        dt.date(2018, 12, 31),
        TaskStatus.IN_PROGRESS,
        villages=(2, 10),
        measure="plan_share",
        target=0.85,
        notes=((dt.date(2018, 5, 15), "吴庄、李洼两村新建农家乐、民宿 16 家。", None),),
    ),
    _Task(
        "探索“公司+合作社（基地）+贫困户”模式，带动贫困户稳定增收",
        "镇农业综合服务中心",
        None,
        dt.date(2019, 12, 31),
        TaskStatus.IN_PROGRESS,
        villages=(0, 5),
        measure="stable_share",
        target=0.6,
        notes=((dt.date(2018, 9, 30), "引进龙头企业 1 家，成立种植专业合作社 2 个。", None),),
    ),
)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(18, 0))


def _add_tasks(
    session: Session, meeting: Meeting, tasks: Sequence[_Task], village_ids: Sequence[int], by: str
) -> None:
    for spec in tasks:
        task = MeetingTask(
            meeting_id=meeting.id,
            what=spec.what,
            responsible_unit=spec.unit,
            responsible_person=spec.person,
            deadline=spec.deadline,
            # the status the latest note set, else the one it was given
            status=next((note[2] for note in reversed(spec.notes) if note[2] is not None), spec.status).value,
            measure=spec.measure,
            target=spec.target,
            created_at=_at(meeting.held_on),
            created_by=by,
        )
        session.add(task)
        session.flush()
        for position in spec.villages:
            if position < len(village_ids):
                session.add(MeetingTaskPlace(task_id=task.id, village_id=village_ids[position]))
        for noted_on, text, status in spec.notes:
            session.add(
                MeetingTaskNote(
                    task_id=task.id,
                    noted_on=noted_on,
                    text=text,
                    status=None if status is None else status.value,
                    username=by,
                    created_at=_at(noted_on),
                )
            )


def add_meetings(session: Session) -> None:
    """The county's 79th promotion meeting and Balihe's meeting conveying it, with their decisions
    and progress notes (nothing when the demo has no Balihe)."""
    town_id = session.scalar(select(Town.id).where(Town.code == BALIHE))
    if town_id is None:
        return
    village_ids = list(
        session.scalars(select(Village.id).where(Village.town_id == town_id).order_by(Village.code))
    )
    county = Meeting(
        level=MeetingLevel.COUNTY.value,
        name="全县脱贫攻坚推进会",
        number=79,
        held_on=COUNTY_HELD,
        attending="各乡镇党委书记、乡镇长；县扶贫开发领导小组成员单位；县直各帮扶单位",
        created_at=_at(COUNTY_HELD),
        created_by="admin",
    )
    session.add(county)
    session.flush()
    _add_tasks(session, county, COUNTY_TASKS, (), "admin")
    town = Meeting(
        level=MeetingLevel.TOWN.value,
        town_id=town_id,
        name="八里河镇脱贫攻坚推进会",
        held_on=TOWN_HELD,
        attending="镇党政班子成员；各村党支部书记、第一书记和驻村工作队；镇直各站所",
        conveys_id=county.id,
        created_at=_at(TOWN_HELD),
        created_by="balihe",
    )
    session.add(town)
    session.flush()
    _add_tasks(session, town, TOWN_TASKS, village_ids, "balihe")
    session.flush()
