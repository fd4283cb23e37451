"""The two languages of graphcrm (English and Chinese): helpers, and the catalogue of error messages.

Error messages
--------------
Every :class:`~graphcrm.errors.GraphCRMError` a user can hit from the command line has an entry
in :data:`MESSAGES`: a code, the English template and the Chinese template, with named
parameters.  An error raised with a code carries it (``ConfigError(code="date", what="since",
value="'x'")``: :func:`message` renders the English text, ``exc.code`` and ``exc.params`` keep
the parts); an error raised with a plain English text (most of the code base, written before the
catalogue) is recognised by matching the text against the English templates, so both render in
Chinese with :func:`error_text`.  Parameters that are themselves fixed English phrases chosen by
the code (``"the report file"``, ``"city"``, ``"the data runs from ... to ..."``) are translated
through :data:`FRAGMENTS` (recursively, by the same matching); values from the user or the data
(paths, ids, cities, option names) are kept as they are.

A message the catalogue does not know (a new raise site, or the text of a third-party library
such as DuckDB's or the operating system's) is shown under ``--lang zh`` with a Chinese lead
and the original English detail, never dropped: :func:`error_text` says which.

Example
-------
>>> message("since_after_until", "zh", since="2026-03-01", until="2026-01-01")
'开始日期（2026-03-01）晚于结束日期（2026-01-01）'
>>> error_text(ValueError("since=2026-13-01 is not a date"), "en")
'since=2026-13-01 is not a date'
>>> from graphcrm.errors import ConfigError
>>> error_text(ConfigError("since='2026-13-01' is not a date (use YYYY-MM-DD)"), "zh")
"开始日期 '2026-13-01' 不是日期（请用 YYYY-MM-DD 格式）"
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from graphcrm.errors import ConfigError

LANGS = ("en", "zh")


def check_lang(lang: str | None) -> str:
    """Return ``"en"`` or ``"zh"`` for ``lang`` (``None`` means English).

    Raises
    ------
    ConfigError
        For any other value.
    """
    if lang is None:
        return "en"
    norm = str(lang).lower().replace("_", "-")
    if norm in ("en", "en-us", "en-gb", "english"):
        return "en"
    if norm in ("zh", "zh-cn", "zh-hans", "cn", "chinese", "中文"):
        return "zh"
    raise ConfigError(code="unknown_lang", lang=repr(lang))


def pick(lang: str, *, en: str, zh: str) -> str:
    """Choose the text for ``lang`` (already checked with :func:`check_lang`)."""
    return zh if lang == "zh" else en


def join(parts: list[str], lang: str) -> str:
    """Join reason fragments with the language's list separator."""
    return ("，" if lang == "zh" else "; ").join(p for p in parts if p)


# ----------------------------------------------------------------------------------------------
# the catalogue of error messages
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Message:
    """One error message: ``code``, English and Chinese templates (``str.format`` fields, all
    given as text by the raiser)."""

    code: str
    en: str
    zh: str


_ENTRIES: tuple[tuple[str, str, str], ...] = (
    # -- languages, dates, windows, options ---------------------------------------------------
    ("unknown_lang", "unknown language {lang}; use 'en' or 'zh'", "未知语言 {lang}；请用 'en' 或 'zh'"),
    ("date", "{what}={value} is not a date (use YYYY-MM-DD)", "{what} {value} 不是日期（请用 YYYY-MM-DD 格式）"),
    ("date_plain", "{what}={value} is not a date", "{what} {value} 不是日期"),
    ("since_after_until", "since ({since}) is after until ({until})", "开始日期（{since}）晚于结束日期（{until}）"),
    ("no_owners", "the store holds no owners: load them first (graphcrm load FOLDER, or graphcrm demo)",
     "存储中没有车主：请先导入（graphcrm load 文件夹，或 graphcrm demo）"),
    ("no_activity", "no activity between {lo} and {hi}; {span}", "{lo} 至 {hi} 之间没有任何活动；{span}"),
    ("at_share", "--at {at}: give a date (YYYY-MM-DD) or a share of the time span between 0 and 1",
     "--at {at}：请给出日期（YYYY-MM-DD）或 0 到 1 之间的时间跨度比例"),
    ("pairs", "{what}: expected name=number pairs separated by commas, got {part}",
     "{what}：应为以逗号分隔的 名称=数字，实际为 {part}"),
    ("floats", "{what}: expected numbers separated by commas, got {text}", "{what}：应为以逗号分隔的数字，实际为 {text}"),
    ("must_be_ge0", "{name} must be >= 0, got {value}", "`{name}` 必须 >= 0，实际为 {value}"),
    ("report_k", "ambassadors_k must be at least 1, got {value}", "大使人数（`ambassadors_k`）至少为 1，实际为 {value}"),
    ("report_top", "top must be at least 1, got {value}", "每表显示行数（`top`）至少为 1，实际为 {value}"),
    ("report_sections", "unknown report section(s) {unknown}; the sections are {known}",
     "未知的报告章节 {unknown}；可用章节：{known}"),
    ("unknown_table", "unknown table {name}; the tables are {known}", "未知的数据表 {name}；数据表有：{known}"),
    ("unknown_analysis", "unknown analysis {name}; the analyses are {known}", "未知的分析 {name}；可用分析：{known}"),
    ("unknown_graph", "unknown graph {kind}; choose one of {known}", "未知的图 {kind}；可选：{known}"),
    ("half_life", "half_life_days must be positive", "半衰期（`half_life_days`）必须为正数"),
    ("half_life_none", "half_life_days must be positive or None, got {value}", "半衰期（`half_life_days`）必须为正数或留空，实际为 {value}"),
    ("max_event_size", "max_event_size must be at least 2", "活动人数上限（`max_event_size`）至少为 2"),
    ("unknown_programs", "unknown program(s) {bad}; choose from {known}", "未知的计划 {bad}；可选：{known}"),
    ("period", "period must be week, month, quarter, year or '<n>d', got {value}",
     "周期必须是 week、month、quarter、year 或 '<天数>d'，实际为 {value}"),
    ("decay_numbers", "decay must be a list of numbers, got {value}", "衰减（`decay`）必须是数字列表，实际为 {value}"),
    ("decay_list", "decay must be a non-empty list of non-negative numbers, got {value}",
     "衰减（`decay`）必须是非空的非负数字列表，实际为 {value}"),
    ("burst", "burst_window_days must be > 0, burst_min >= 1 and burst_k >= 0",
     "突增检测参数须满足 burst_window_days > 0、burst_min >= 1、burst_k >= 0"),
    ("holdout_share", "holdout must be between 0 and 1, got {value}", "留出比例（`holdout`）必须在 0 和 1 之间，实际为 {value}"),
    ("recall_folds", "recall_at and folds must be at least 1", "recall_at 和 folds 至少为 1"),
    ("costs_budget_cli", "--costs and --budget go together", "--costs 和 --budget 必须同时给出"),
    ("store_scheme", "unknown store URI scheme {scheme}: use a file path (embedded DuckDB) or one of {known}",
     "未知的存储地址类型 {scheme}：请用文件路径（内置 DuckDB）或以下之一：{known}"),
    ("unknown_owner", "unknown owner id {oid} ({n} owners in the store{hint})",
     "未知的车主编号 {oid}（存储中共有 {n} 位车主{hint}）"),
    # -- options of the analyses (the command line passes them on) -----------------------------------
    ("duration", "period={value} is not a duration (use e.g. 30D, 4W, 1M, 1Q)",
     "周期 {value} 不是时长（示例：30D、4W、1M、1Q）"),
    ("duration_pos", "period={value} must be positive", "周期 {value} 必须为正"),
    ("grace_days", "grace_days must be >= 0, got {value}", "降级宽限天数（`grace_days`）必须 >= 0，实际为 {value}"),
    ("grace_step", "grace_step_days must be positive, got {value}", "宽限检查间隔（`grace_step_days`）必须为正，实际为 {value}"),
    ("rising_opts", "min_activity and min_engagers must be >= 0 and rising_top >= 1",
     "`min_activity` 和 `min_engagers` 必须 >= 0，`rising_top` 至少为 1"),
    ("drifting_opts", "contribution_quantile must be in [0, 1], min_drop in (0, 1] and min_activity >= 1",
     "`contribution_quantile` 必须在 [0, 1] 内，`min_drop` 在 (0, 1] 内，`min_activity` 至少为 1"),
    ("cohort_opts", "months must be >= 1 and first_days positive", "月数（`months`）至少为 1，`first_days` 必须为正"),
    ("layer_unknown", "unknown layer {key}; the layers are coattendance and interactions",
     "未知的图层 {key}；图层有 coattendance（共同参加活动）和 interactions（互动）"),
    ("layer_weight", "layer weight for {key} must be a non-negative number, got {value}",
     "图层 {key} 的权重必须是非负数，实际为 {value}"),
    ("layer_positive", "at least one layer weight must be positive", "至少要有一个图层权重为正"),
    ("engine", "engine must be 'auto', 'leidenalg' or 'igraph', got {value}",
     "计算引擎（`engine`）必须是 'auto'、'leidenalg' 或 'igraph'，实际为 {value}"),
    ("circle_method", "method must be one of {known}, got {value}", "方法（`method`）必须是以下之一：{known}；实际为 {value}"),
    ("granularity", "granularity must be one of {known}, got {value}", "粒度（`granularity`）必须是以下之一：{known}；实际为 {value}"),
    ("infomap_resolution", "Infomap has no resolution: it picks the number of circles itself (map equation); "
                           "use method='modularity' for coarser or finer circles",
     "Infomap 没有分辨率参数：它自行决定圈层数量（映射方程）；如需更粗或更细的圈层，请用 method='modularity'"),
    ("resolution", "resolution must be a positive number (or None: chosen by the scan)",
     "分辨率（`resolution`）必须为正数（或留空：由扫描自动选择）"),
    ("consensus_runs", "consensus_runs must be a whole number >= 1 (1 = a single run, no consensus)",
     "共识运行次数（`consensus_runs`）必须是 >= 1 的整数（1 = 只运行一次，不做共识）"),
    ("bridge_threshold", "bridge_threshold must be between 0 and 1", "桥接阈值（`bridge_threshold`）必须在 0 和 1 之间"),
    ("min_strength", "min_strength must be in (0, 1]", "最小强度（`min_strength`）必须在 (0, 1] 内"),
    ("max_circles", "max_circles must be a whole number >= 1", "圈层数上限（`max_circles`）必须是 >= 1 的整数"),
    ("min_months", "min_months must be at least 1, got {value}", "最少月数（`min_months`）至少为 1，实际为 {value}"),
    ("top_ge0", "top must be 0 or more, got {value}", "行数（`top`）必须 >= 0，实际为 {value}"),
    ("koc_component", "unknown KOC component {key}; the components are {known}", "未知的 KOC 分项 {key}；分项有：{known}"),
    ("koc_weight", "weight of {key} must be a non-negative number, got {value}", "{key} 的权重必须是非负数，实际为 {value}"),
    ("koc_positive", "at least one KOC weight must be positive", "至少要有一个 KOC 权重为正"),
    ("closed_group", "closed_group_discount must be between 0 and 1", "互赞小圈子折算（`closed_group_discount`）必须在 0 和 1 之间"),
    ("half_life_decay", "half_life_days must be positive (or None for no decay)", "半衰期（`half_life_days`）必须为正（留空表示不衰减）"),
    ("max_group", "max_group_size must be at least 1", "小圈子人数上限（`max_group_size`）至少为 1"),
    ("bridging", "bridging must be 'count' or 'entropy', got {value}", "跨圈方式（`bridging`）必须是 'count' 或 'entropy'，实际为 {value}"),
    ("damping", "damping must be between 0 and 1", "阻尼系数（`damping`）必须在 0 和 1 之间"),
    ("points_keys", "unknown points key(s) {bad}; the keys are {known}", "未知的积分项 {bad}；积分项有：{known}"),
    ("points_number", "points[{key}] must be a number, got {value}", "积分 points[{key}] 必须是数字，实际为 {value}"),
    ("ladder_empty", "thresholds must name at least one level", "等级门槛（`thresholds`）至少要有一个等级"),
    ("ladder_name", "every level needs a non-empty 'level' name", "每个等级都需要非空的 'level' 名称"),
    ("ladder_twice", "level {name} appears twice", "等级 {name} 出现了两次"),
    ("ladder_points", "level {name}: points must be a number", "等级 {name}：积分必须是数字"),
    ("ladder_order", "level {name}: points must not decrease along the ladder", "等级 {name}：积分门槛不能随等级升高而下降"),
    ("ladder_condition", "level {name}: unknown condition(s) {bad}; use {known}", "等级 {name}：未知的条件 {bad}；可选：{known}"),
    ("ladder_field", "level {name}: unknown field(s) {bad}", "等级 {name}：未知的字段 {bad}"),
    # -- analyses that the data cannot carry -------------------------------------------------------
    ("no_volunteers", "no volunteers (is_volunteer) among non-staff owners: nothing to learn from",
     "非员工车主中没有志愿者（`is_volunteer`）：无从学习"),
    ("all_volunteers", "every non-staff owner is already a volunteer: no candidates to score",
     "所有非员工车主都已是志愿者：没有可评分的候选人"),
    ("no_backtest", "nothing to backtest: the community has no timed interactions, hosted events or referrals",
     "无法回测：社区没有带时间的互动、组织的活动或推荐"),
    # -- segments ---------------------------------------------------------------------------------
    ("segment_value", "no owner has {field} {missing}; {plural}: {shown}", "没有车主的{field}为 {missing}；现有{plural}：{shown}"),
    ("segment_empty", "no owner is in the segment {label} (each value exists, but no owner has them together)",
     "细分 {label} 中没有车主（每个取值都存在，但没有车主同时满足）"),
    ("segment_field", "segment: unknown field(s) {unknown}; the fields are {known}", "细分：未知字段 {unknown}；可用字段：{known}"),
    # -- stores -----------------------------------------------------------------------------------
    ("store_missing",
     "no store at {uri}: nothing has been loaded there yet (is the path right?). Create it with "
     "`graphcrm load FOLDER --store {uri2}` (your exports) or `graphcrm demo --store {uri3}` (a generated "
     "community); in Python, graphcrm.open(path).load(folder), or graphcrm.open(path, create=True) for an empty store",
     "{uri} 处没有存储：那里还未导入任何数据（路径对吗？）。请用 `graphcrm load 文件夹 --store {uri2}`（导入你的导出文件）"
     "或 `graphcrm demo --store {uri3}`（生成示例社区）创建；在 Python 中用 graphcrm.open(路径).load(文件夹)，"
     "或用 graphcrm.open(路径, create=True) 创建空存储"),
    ("store_create", "cannot create store {path}: folder {folder} does not exist", "无法创建存储 {path}：文件夹 {folder} 不存在"),
    ("store_open", "cannot open store {uri}: {detail}", "无法打开存储 {uri}：{detail}"),
    ("no_campaign", "no campaign named {name} in {uri} (graphcrm campaigns lists them)",
     "{uri} 中没有名为 {name} 的活动（graphcrm campaigns 可列出全部活动）"),
    ("campaign_exists", "a campaign named {name} is already recorded in {uri} (choose another name, or replace it)",
     "{uri} 中已记录名为 {name} 的活动（请换一个名称，或替换它）"),
    ("no_results", "no results named {name} in {uri}", "{uri} 中没有名为 {name} 的结果"),
    # -- output files -----------------------------------------------------------------------------
    ("out_folder", "{what} {path} is a folder; give a file name", "{what} {path} 是文件夹；请给出文件名"),
    ("out_no_folder", "{what} {path}: the folder {folder} does not exist; create it first",
     "{what} {path}：文件夹 {folder} 不存在；请先创建"),
    ("out_same", "{what} {path} is the same file as {other}, which this command reads; writing there would "
                 "destroy that input: choose another file name",
     "{what} {path} 与本命令读取的 {other} 是同一个文件；写入会毁掉该输入：请换一个文件名"),
    ("out_input", "{what} {path} looks like an input table ({name}); graphcrm does not overwrite it: choose "
                  "another file name (or delete the file first)",
     "{what} {path} 看起来是输入数据表（{name}）；graphcrm 不会覆盖它：请换一个文件名（或先删除该文件）"),
    ("out_is_file", "{what} {path} is a file, not a folder", "{what} {path} 是文件，不是文件夹"),
    ("out_inputs_dir", "{what} {path} holds input tables ({names}); write the output to a folder of its own",
     "{what} {path} 中有输入数据表（{names}）；请把输出写到单独的文件夹"),
    ("out_write", "cannot write {what} {path}: {detail}", "无法写入{what} {path}：{detail}"),
    # -- campaign files, id lists, cost files ----------------------------------------------------
    ("ids_read", "{path}: cannot read the id list ({detail})", "{path}：无法读取编号清单（{detail}）"),
    ("ids_header", "{path}: row 1 has {n} columns but none is called owner_id", "{path}：第 1 行有 {n} 列，但没有名为 `owner_id` 的列"),
    ("costs_read", "{path}: cannot read the costs ({detail})", "{path}：无法读取成本文件（{detail}）"),
    ("costs_read_cli", "{path}: cannot read costs ({detail})", "{path}：无法读取成本文件（{detail}）"),
    ("costs_cols", "{path}: the costs file needs the columns owner_id and cost", "{path}：成本文件需要 `owner_id` 和 `cost` 两列"),
    ("costs_cols_cli", "{path}: needs the columns owner_id and cost", "{path}：需要 `owner_id` 和 `cost` 两列"),
    ("cost_nan", "{path}: row {n}: cost {value} is not a number", "{path}：第 {n} 行：成本 {value} 不是数字"),
    ("cost_neg", "{path}: row {n}: cost must be a number >= 0, got {value}", "{path}：第 {n} 行：成本必须是 >= 0 的数字，实际为 {value}"),
    ("cf_key", "{path}: [{where}] has an unknown key {key}; known keys: {known}", "{path}：[{where}] 中有未知的键 {key}；可用的键：{known}"),
    ("cf_type", "{path}: [{where}] {key} = {value} must be a {kind}", "{path}：[{where}] `{key}` = {value} 必须是{kind}"),
    ("cf_read", "{path}: cannot read the campaign file ({detail})", "{path}：无法读取活动文件（{detail}）"),
    ("cf_utf8", "{path}: the campaign file is not UTF-8 text", "{path}：活动文件不是 UTF-8 文本"),
    ("cf_toml", "{path}: not a valid campaign file (TOML): {detail}", "{path}：不是有效的活动文件（TOML）：{detail}"),
    ("cf_table", "{path}: {key} must be a table ([{key2}])", "{path}：`{key}` 必须是一个表（[{key2}]）"),
    ("cf_top_key", "{path}: unknown key {key}; known: {known}", "{path}：未知的键 {key}；可用的键：{known}"),
    ("cf_k", "{path}: [ambassadors] k must be at least 1, got {value}", "{path}：[ambassadors] 大使人数 `k` 至少为 1，实际为 {value}"),
    ("cf_ge0", "{path}: [{where}] {key} must be >= 0, got {value}", "{path}：[{where}] `{key}` 必须 >= 0，实际为 {value}"),
    ("cf_cost", "{path}: [ambassadors.costs] {oid} = {value} must be a number >= 0",
     "{path}：[ambassadors.costs] `{oid}` = {value} 必须是 >= 0 的数字"),
    ("cf_costs_budget", "{path}: [ambassadors] costs and budget go together", "{path}：[ambassadors] 成本（`costs`）和预算（`budget`）必须同时给出"),
    ("cf_programs", "{path}: [targets] unknown program(s) {bad}; choose from {known}", "{path}：[targets] 未知的计划 {bad}；可选：{known}"),
    ("cf_holdout", "{path}: [holdout] share must be between 0 and 1, got {value}", "{path}：[holdout] 比例 `share` 必须在 0 和 1 之间，实际为 {value}"),
    ("cf_exclude_id", "{path}: [exclude] owner_ids holds {value}, not an owner id", "{path}：[exclude] `owner_ids` 中的 {value} 不是车主编号"),
    ("cf_exclude_file", "{path}: [exclude] files holds {value}, not a file name", "{path}：[exclude] `files` 中的 {value} 不是文件名"),
    ("cf_no_name", "the campaign file has a [holdout] table but no name: add name = \"...\" to record it",
     "活动文件有 [holdout] 表但没有名称：请加上 `name = \"...\"` 以便记录"),
    # -- the credit model under ambassadors/spread (options that do not apply to it) --------------
    ("credit_model", "model={model} does not apply to probability='credit' (the credit-distribution model): it simulates no cascade; leave model out",
     "`model={model}` 不适用于 `probability='credit'`（历史行为归因模型）：它不模拟传播；请去掉 `model`"),
    ("credit_layers", "layers= does not apply to probability='credit' (the credit-distribution model): every exposure counts alike, no layer weights",
     "`layers=` 不适用于 `probability='credit'`（历史行为归因模型）：每次接触同等计数，没有分层权重"),
    ("credit_half_life", "half_life_days= does not apply to probability='credit' (the credit-distribution model): recency is weighted per episode (graphcrm.algorithms.credit.credit_ambassadors(half_life_episodes=...))",
     "`half_life_days=` 不适用于 `probability='credit'`（历史行为归因模型）：近期权重按时段计算（`graphcrm.algorithms.credit.credit_ambassadors(half_life_episodes=...)`）"),
    ("credit_mc_runs", "mc_runs={value} does not apply to probability='credit' (the credit-distribution model): it has no cascade to simulate, its reach is the credit earned in the log; give mc_runs=0 or leave it out",
     "`mc_runs={value}` 不适用于 `probability='credit'`（历史行为归因模型）：它没有可模拟的传播，覆盖即历史记录中获得的归因；请设 `mc_runs=0` 或去掉"),
    ("credit_max_hops", "max_hops must be 1 or 2 under probability='credit' (the credit-distribution model) (chains of at most 2 exposures), got {value}",
     "在 `probability='credit'`（历史行为归因模型）下 `max_hops` 必须为 1 或 2（最多 2 次接触的链），实际为 {value}"),
    # -- loading (the messages a first load meets most) ----------------------------------------------
    ("in_nothing_loaded", "nothing was loaded:", "未导入任何数据："),
    ("in_missing_columns",
     "{path}: missing required column(s) {cols} for table {table}; found {found}. Rename the header(s) or map "
     "them in a mapping file ([{section}.columns] \"your header\" = \"{col}\")",
     "{path}：表 {table} 缺少必需的列 {cols}；文件中的列为 {found}。请重命名表头，或在映射文件中对应"
     "（[{section}.columns] \"你的表头\" = \"{col}\"）"),
    ("in_no_tables",
     "{path}: no table files found; expected some of {expected} (read: {suffixes}; or a workbook with sheets "
     "named like the tables; or name your files in a mapping file's [table] file = ...){rest}",
     "{path}：没有找到数据表文件；应有以下文件中的若干个：{expected}（可读的格式：{suffixes}；或工作表与表同名的工作簿；"
     "或在映射文件的 [table] file = ... 中写明文件名）{rest}"),
    ("in_dup_header",
     "{path}: the header names {name} twice (columns {a} and {b}); rename or remove one - which of the two "
     "holds the {col} values cannot be guessed",
     "{path}：表头中 {name} 出现了两次（第 {a} 列和第 {b} 列）；请重命名或删除其中一列——无法判断哪一列是 {col} 的值"),
    ("in_mapping_no_file", "mapping says table {table} is in {path}, but that file does not exist",
     "映射文件写明表 {table} 在 {path}，但该文件不存在"),
    ("in_encoding", "{path}: unknown encoding {name} (try utf-8, gb18030 or utf-16)",
     "{path}：未知的编码 {name}（可试 utf-8、gb18030 或 utf-16）"),
    ("in_mixed",
     "{path}: mixed text encodings: {n_u} line(s) are UTF-8 (first: line {first_u}) but {n_o} line(s) are not "
     "(first: line {first_o}, {how}). Read as one encoding the other lines would be garbled (UTF-8 '北京' read "
     "as GB18030 shows '鍖椾含'), so nothing was loaded. Re-save the whole file in one encoding (UTF-8) and load it again",
     "{path}：文件混用了两种编码：{n_u} 行是 UTF-8（第一处：第 {first_u} 行），{n_o} 行不是（第一处：第 {first_o} 行，{how}）。"
     "按任何一种编码读取，另一部分都会变成乱码（UTF-8 的“北京”按 GB18030 读取会显示“鍖椾含”），因此未导入任何数据。"
     "请把整个文件另存为同一种编码（UTF-8）后重新导入"),
    ("in_not_workbook", "{path}: not an Excel/OpenDocument workbook (its bytes are not a workbook's).{hint}",
     "{path}：不是 Excel/OpenDocument 工作簿（文件内容不是工作簿格式）。{hint}"),
    ("in_bad_workbook", "{path}: not a readable workbook{extra}: {detail}", "{path}：无法读取的工作簿{extra}：{detail}"),
    ("in_sheet_read", "{path}: sheet {sheet} cannot be read: {detail}", "{path}：无法读取工作表 {sheet}：{detail}"),
    ("in_sheet_empty", "{path}: sheet {sheet} is empty (it needs at least a header row)",
     "{path}：工作表 {sheet} 是空的（至少需要一行表头）"),
    ("in_bad_parquet", "{path}: not a readable Parquet file ({detail})", "{path}：无法读取的 Parquet 文件（{detail}）"),
    ("in_list_folder", "{path}: cannot list the folder ({detail})", "{path}：无法列出文件夹内容（{detail}）"),
    ("in_mapping_sheet", "the mapping names a sheet for table {table}, but {path} is not a workbook",
     "映射文件为表 {table} 指定了工作表，但 {path} 不是工作簿"),
    # -- the mapping file (where Chinese headers are described) ---------------------------------------
    ("mp_unusable", "mapping {path} is not usable:", "映射文件 {path} 无法使用："),
    ("mp_unusable_kind", "mapping {path} is not usable: expected tables such as [owners], got {kind}",
     "映射文件 {path} 无法使用：应为 [owners] 这样的表，实际为{kind}"),
    ("mp_unknown_table", "unknown table [{table}] (tables: {tables})", "未知的表 [{table}]（可用的表：{tables}）"),
    ("mp_section_kind", "[{table}] must be a table of settings ({settings}), not {kind}",
     "[{table}] 必须是一组设置（{settings}），而不是{kind}"),
    ("mp_setting_str", "[{table}] {key} must be a string ({key2} = \"...\"), not {kind}",
     "[{table}] {key} 必须是字符串（{key2} = \"...\"），而不是{kind}"),
    ("mp_setting_empty", "[{table}] {key} is empty", "[{table}] {key} 是空的"),
    ("mp_columns_kind", "[{table}.columns] must map your header to a contract column (\"your header\" = \"column\"), "
                        "not {kind}",
     "[{table}.columns] 必须把你的表头对应到数据契约中的列（\"你的表头\" = \"列名\"），而不是{kind}"),
    ("mp_column_str", "[{table}.columns] {src} must name one contract column as a string "
                      "(e.g. \"{src2}\" = \"{col}\"), not {kind}",
     "[{table}.columns] {src} 必须以字符串写出一个数据契约中的列（例如 \"{src2}\" = \"{col}\"），而不是{kind}"),
    ("mp_column_unknown", "[{table}.columns] {src} maps to {dst}, which is not a column of {table2} ({cols})",
     "[{table}.columns] {src} 对应到 {dst}，但 {table2} 没有这一列（可用的列：{cols}）"),
    ("mp_values_kind", "[{table}.values] must hold one table per column, not {kind}",
     "[{table}.values] 必须为每一列写一组取值对应，而不是{kind}"),
    ("mp_values_col", "[{table}.values.{col}] names no column of {table2}", "[{table}.values.{col}]：{table2} 没有这一列"),
    ("mp_unknown_setting", "[{table}] has unknown setting {key} (use {settings})",
     "[{table}] 有未知的设置 {key}（可用：{settings}）"),
    ("mp_no_file", "mapping file {path} does not exist", "映射文件 {path} 不存在"),
    ("mp_read", "mapping file {path} cannot be read ({detail})", "无法读取映射文件 {path}（{detail}）"),
    ("mp_toml", "mapping file {path} is not valid UTF-8 TOML: {detail}", "映射文件 {path} 不是有效的 UTF-8 TOML：{detail}"),
    ("in_missing", "{path}: no such file or folder", "{path}：没有这个文件或文件夹"),
    ("in_empty", "{path}: the file is empty (it needs at least a header row)", "{path}：文件是空的（至少需要一行表头）"),
    ("in_no_header", "{path}: the file holds no header row (every line is empty)", "{path}：文件没有表头（每一行都是空的）"),
    ("in_read", "{path}: cannot read the file ({detail})", "{path}：无法读取文件（{detail}）"),
    ("in_gzip", "{path}: this file is gzip-compressed; unpack it first", "{path}：该文件是 gzip 压缩文件；请先解压"),
    ("in_parquet", "{path}: this is a Parquet file, not text; rename it to {name}", "{path}：这是 Parquet 文件，不是文本；请改名为 {name}"),
)

#: code -> :class:`Message`
MESSAGES: dict[str, Message] = {code: Message(code, en, zh) for code, en, zh in _ENTRIES}

#: fixed English phrases the code passes as parameters (or as a whole message part), in Chinese
FRAGMENTS: dict[str, str] = {
    "since": "开始日期", "until": "结束日期", "end": "结束日期", "start": "开始日期", "as_of": "截止日期",
    "the start of the data": "数据开始", "the end of the data": "数据结束",
    "the data holds no dates": "数据中没有任何日期",
    "city": "城市", "region": "区域", "car model": "车型", "level": "等级", "circle": "圈层",
    "cities": "城市", "regions": "区域", "car models": "车型", "levels": "等级", "circles": "圈层",
    "(none recorded)": "（无记录）",
    "the report file": "报告文件", "the CSV folder": "CSV 文件夹", "the report table": "报告表格",
    "--output": "输出文件 --output", "--out": "输出文件夹 --out", "--rejects": "拒收文件 --rejects",
    "--csv-dir": "CSV 文件夹 --csv-dir",
    "whole number": "整数", "number": "数字", "text": "文本", "list": "列表", "file name or table": "文件名或表",
    "value": "值", "top level": "顶层",
}

#: fixed English phrases with parameters inside message parameters
_FRAGMENT_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("the data runs from {a} to {b}", "数据范围为 {a} 至 {b}"),
    ("; close ids: {ids}", "；相近的编号：{ids}"),
    (", … ({n} more)", "，…（另有 {n} 个）"),
)

#: regular rewrites of parameter values that hold lists of values ("上海 (2), 北京 (1), … (3 more)")
_VALUE_SUBS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r", … \((\d[\d,]*) more\)"), r"，…（另有 \1 个）"),
    (re.compile(r"\(none recorded\)"), "（无记录）"),
    (re.compile(r" \(ignored headers: (.*)\)"), r"（已忽略的表头：\1）"),
    (re.compile(r"^\. The folder holds: (.*)$", re.S), r"。文件夹中有：\1"),
    (re.compile(r"^\. The folder is empty$"), "。文件夹是空的"),
    (re.compile(r"^which reads as (.*)$"), r"按 \1 可以读出"),
    (re.compile(r"^a number \((.*)\)$"), r"数字（\1）"),
    (re.compile(r"^a string \((.*)\)$"), r"字符串（\1）"),
    (re.compile(r"^a list$"), "列表"),
    (re.compile(r"^a table$"), "一张表"),
    (re.compile(r"^which is not valid (.*) either: damaged bytes\?$"), r"按 \1 也读不出：字节损坏？"),
    (re.compile(r"^ It looks like text: rename it to \.csv\.$"), "它看起来是文本文件：请改名为 .csv。"),
    (re.compile(r"^ \(is it password-protected\? remove the password and save again\)$"), "（是否设置了密码？请去掉密码后重新保存）"),
)


def message(code: str, lang: str = "en", /, **params: Any) -> str:
    """The message ``code`` of :data:`MESSAGES` in ``lang`` with ``params`` filled in (in
    Chinese, parameters that are fixed English phrases are translated too).

    Raises
    ------
    KeyError
        ``code`` is not in the catalogue (a bug at the raise site).
    """
    m = MESSAGES[code]
    if lang != "zh":
        return m.en.format(**params)
    return m.zh.format(**{k: _zh_param(str(v)) for k, v in params.items()})


#: parameters that name what is written or read: one of the fixed phrases, else one word
_WHAT = ("what",)


def _compile(template: str) -> re.Pattern:
    out, pos = [], 0
    for mt in re.finditer(r"\{(\w+)\}", template):
        out.append(re.escape(template[pos:mt.start()]))
        name = mt.group(1)
        if name in _WHAT:  # "the CSV folder /x holds ...": the phrase, not its first word
            phrases = "|".join(re.escape(k) for k in sorted(FRAGMENTS, key=len, reverse=True) if " " in k)
            out.append(f"(?P<{name}>{phrases}|\\S+)")
        else:
            out.append(f"(?P<{name}>.*?)")
        pos = mt.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out) + r"\Z", flags=re.S)


_PATTERNS: list[tuple[int, str, re.Pattern]] = []
_FRAG_PATTERNS: list[tuple[re.Pattern, str]] = []


def _patterns() -> list[tuple[int, str, re.Pattern]]:
    if not _PATTERNS:
        rows = [(len(re.sub(r"\{\w+\}", "", m.en)), m.code, _compile(m.en)) for m in MESSAGES.values()]
        _PATTERNS.extend(sorted(rows, key=lambda r: -r[0]))  # the most specific template first
        _FRAG_PATTERNS.extend((_compile(en), zh) for en, zh in _FRAGMENT_TEMPLATES)
    return _PATTERNS


def recognise(text: str) -> tuple[str, dict[str, str]] | None:
    """``(code, params)`` of the catalogue entry whose English template gives ``text``, or None."""
    for _, code, pat in _patterns():
        mt = pat.match(text)
        if mt:
            return code, mt.groupdict()
    return None


def _zh_param(value: str) -> str:
    if value in FRAGMENTS:
        return FRAGMENTS[value]
    _patterns()
    for pat, zh in _FRAG_PATTERNS:
        mt = pat.match(value)
        if mt:
            return zh.format(**{k: _zh_param(v) for k, v in mt.groupdict().items()})
    for pat, repl in _VALUE_SUBS:
        value = pat.sub(repl, value)
    return value


#: the lead of an error the catalogue does not know yet, shown before its English text
UNTRANSLATED_ZH = "（此错误暂无中文说明，原文如下）"


def error_text(exc: BaseException, lang: str = "en") -> str:
    """The text of a graphcrm error in ``lang``.

    English: ``str(exc)``.  Chinese: the catalogue's Chinese template for the error's code (or
    for the entry its English text matches, :func:`recognise`); an error the catalogue does
    not know shows :data:`UNTRANSLATED_ZH` and its English text.
    """
    if lang != "zh":
        return str(exc)
    code, params = getattr(exc, "code", None), dict(getattr(exc, "params", None) or {})
    if code not in MESSAGES:
        # a message of several lines (``nothing was loaded:`` and one line per file): each line
        # as the catalogue says, when it knows every one
        lines = str(exc).split("\n")
        if len(lines) > 1:
            bullets = [re.match(r"(\s*-\s+)?(.*)\Z", line, flags=re.S) for line in lines]  # "  - a problem"
            known = [recognise(b.group(2)) for b in bullets]
            if all(k is not None for k in known):
                return "\n".join((b.group(1) or "") + message(c, "zh", **p) for b, (c, p) in zip(bullets, known))
        found = recognise(str(exc))
        if found is None:
            return f"{UNTRANSLATED_ZH}{exc}"
        code, params = found
    return message(code, "zh", **params)


# -- click's own messages (usage errors, the usage line) ---------------------------------------------
#: click's message templates (its ``gettext`` msgids, click 8.x) in Chinese: the usage errors click
#: raises before a graphcrm command runs (unknown option, missing argument, value out of range ...)
CLICK_ZH: dict[str, str] = {
    "Usage:": "用法：",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "No such option: {name}": "没有这个选项：{name}",
    "No such option {name!r}.": "没有这个选项 {name!r}。",
    "Did you mean {possibility}?": "您是否要输入 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（您是否要输入以下之一：{possibilities}？）",
    "No such command {name!r}.": "没有这个命令 {name!r}。",
    "Missing command.": "缺少命令。",
    "Missing argument": "缺少参数",
    "Missing argument {param_hint}.": "缺少参数 {param_hint}。",
    "Missing option": "缺少选项",
    "Missing option {param_hint}.": "缺少选项 {param_hint}。",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "Missing {param_type} {param_hint}.": "缺少{param_type} {param_hint}。",
    "argument": "参数",
    "option": "选项",
    "parameter": "参数",
    "Invalid value: {message}": "值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Option {name!r} does not take a value.": "选项 {name!r} 不接受值。",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，给了 {len} 个。",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不在可选值 {choices} 之中。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 之内。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合以下任一格式：{formats}。",
    "{value!r} is not a valid boolean.": "{value!r} 不是有效的是/否值。",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件（需要文件夹）。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹（需要文件）。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "Aborted!": "已中止！",
    "unknown error": "未知错误",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
}

#: click's type names in its number messages ("'x' is not a valid integer.")
CLICK_TYPE_NAMES_ZH = {"integer": "整数", "float": "数字", "integer range": "整数", "float range": "数字"}


def click_gettext_zh(text: str) -> str:
    """click's ``gettext`` in Chinese: the template of :data:`CLICK_ZH`, else ``text`` unchanged."""
    return CLICK_ZH.get(text, text)


def click_ngettext_zh(singular: str, plural: str, n: int) -> str:
    """click's ``ngettext`` in Chinese (Chinese has one form: the plural's template)."""
    return CLICK_ZH.get(plural if n != 1 else singular, plural if n != 1 else singular)
