"""Labels of the community report in English and Chinese.

Every visible word of the report comes from :data:`LABELS` (``t(key, lang)``), so the two
languages always have the same sections and columns.
"""
from __future__ import annotations

from graphcrm.i18n import check_lang

#: key -> (English, Chinese)
LABELS: dict[str, tuple[str, str]] = {
    # page
    "title": ("Community report", "车主社区报告"),
    "subtitle": ("Owners, circles, referrals and who to invite next", "车主、圈层、推荐，以及下一步邀请谁"),
    "period": ("Period", "统计周期"),
    "compared_with": ("compared with", "对比"),
    "generated": ("Generated", "生成时间"),
    "store": ("Store", "数据源"),
    "data_until": ("data until", "数据截至"),
    "contents": ("Contents", "目录"),
    "csv_files": ("Every table of this report as CSV (UTF-8, opens in Excel)", "本报告所有表格的 CSV 文件（UTF-8，可用 Excel 打开）"),
    "top_rows": ("Top {n} of {total} rows; all rows in", "显示前 {n} 行，共 {total} 行；完整数据见"),
    "all_rows": ("{total} rows; also in", "共 {total} 行；另见"),
    "no_rows": ("No rows.", "没有数据。"),
    "privacy": ("Owner names are not shown: owners appear by owner_id, city and car model. "
                "Look names up in your CRM by owner_id.",
                "报告不显示车主姓名：车主以 owner_id、城市和车型标识。如需姓名，请在 CRM 中按 owner_id 查询。"),
    "footer": ("Made with graphcrm {version}. Self-contained file: no network needed to view it.",
               "由 graphcrm {version} 生成。本文件自包含，离线即可查看。"),
    # section states
    "unavailable": ("Cannot be computed on this data: {detail}", "无法基于当前数据计算：{detail}"),
    "failed": ("This section failed ({detail}); the rest of the report is unaffected.",
               "本节生成失败（{detail}）；报告其余部分不受影响。"),
    "empty": ("Nothing to show for this period.", "本期没有可显示的数据。"),
    # headline
    "sec_headline": ("Headline numbers", "核心指标"),
    "owners": ("Owners", "车主"),
    "active_owners": ("Active owners", "活跃车主"),
    "events": ("Events", "活动"),
    "interactions": ("Interactions", "互动"),
    "referred_share": ("New owners referred", "新车主推荐占比"),
    "volunteers": ("Volunteers", "志愿者"),
    "owners_note": ("joined by the end of the period", "截至期末加入"),
    "active_note": ("posted, engaged, attended or referred", "发帖、互动、参加活动或推荐"),
    "events_note": ("held in the period", "本期举办"),
    "interactions_note": ("likes, comments, shares, replies, favorites", "点赞、评论、分享、回复、收藏"),
    "referred_note": ("{a} of {b} new owners", "{b} 位新车主中 {a} 位"),
    "volunteers_note": ("{a} led or helped at events in the period", "本期 {a} 位组织或协助了活动"),
    "prev": ("previous", "上期"),
    "pp": ("pts", "个百分点"),
    "new": ("new", "新增"),
    "headline_basis_window": ("{cur} compared with the {days} days before ({prev}).",
                              "{cur}，对比此前 {days} 天（{prev}）。"),
    "headline_basis_default": ("The last 30 days of data ({cur}) compared with the 30 days before ({prev}).",
                               "数据最后 30 天（{cur}），对比此前 30 天（{prev}）。"),
    "activity_title": ("Weekly activity", "每周活跃度"),
    "weekly_active": ("active owners per week", "每周活跃车主"),
    "weekly_new": ("new owners per week", "每周新车主"),
    "referred": ("referred", "经推荐"),
    "not_referred": ("not referred", "非推荐"),
    "this_period": ("this period", "本期"),
    "prev_period": ("previous period", "上期"),
    "metric": ("metric", "指标"),
    "current": ("current", "本期"),
    "previous": ("previous", "上期"),
    "change": ("change", "变化"),
    # KOC
    "sec_koc": ("KOC leaderboard", "KOC 排行榜"),
    "koc_lead": ("Key opinion consumers: owners whose posts reach many distinct owners, draw real engagement, "
                 "are engaged by the engaged, convert referrals and span circles. Like rings are discounted.",
                 "关键意见消费者：帖子触达众多不同车主、获得真实互动、被活跃车主关注、带来推荐成交并跨越多个圈层的车主。互赞小圈子会被折算。"),
    "koc_chart": ("Score of the top KOCs and what it is made of", "头部 KOC 得分及构成"),
    "score": ("score", "得分"),
    "reach": ("reach", "触达"),
    "engagement": ("engagement", "互动"),
    "authority": ("authority", "权威度"),
    "conversion": ("conversion", "转化"),
    "bridging": ("bridging", "跨圈"),
    # circles
    "sec_circles": ("Circles", "圈层"),
    "circles_lead": ("Circles are groups of owners tied by shared events and interactions (Leiden). "
                     "Each dot is a circle sized by its members; lines are ties between circles.",
                     "圈层是通过共同活动和互动联系在一起的车主群体（Leiden 算法）。每个圆点代表一个圈层，大小表示人数；连线表示圈层之间的联系。"),
    "circle_map": ("Circle map", "圈层地图"),
    "circles_summary": ("{n} circles; the largest {m} drawn ({covered:.0%} of owners with ties); "
                        "{alone} owners have no ties yet.",
                        "共 {n} 个圈层；图中显示最大的 {m} 个（覆盖有联系车主的 {covered:.0%}）；{alone} 位车主尚无联系。"),
    "circle": ("circle", "圈层"),
    "members": ("members", "人数"),
    "ties": ("ties", "联系"),
    "other_city": ("other", "其他"),
    # referrals
    "sec_referrals": ("Referral chains", "推荐链"),
    "referrals_lead": ("Who brings in new owners: each chain starts with an owner nobody referred and follows "
                       "referrals down, after the integrity cleaning below.",
                       "谁带来了新车主：每条推荐链从一位未被推荐的车主开始，沿推荐关系向下展开（已按下方的推荐核查清洗）。"),
    "depth_dist": ("Referred owners by level in their chain", "各层级的被推荐车主数"),
    "size_dist": ("Chains by size (owners)", "推荐链规模分布（人数）"),
    "level": ("level", "层级"),
    "owners_axis": ("owners", "车主数"),
    "chains_axis": ("chains", "推荐链数"),
    "top_chains": ("The largest chains", "最大的推荐链"),
    "chain_title": ("{root} · {size} owners · {depth} levels", "{root} · {size} 人 · {depth} 层"),
    "converted": ("converted (order or delivery)", "已成交（下订或提车）"),
    "not_converted": ("lead or test drive", "线索或试驾"),
    "chain_root": ("chain starter", "链起点"),
    "level_rings": ("rings = levels", "圆环 = 层级"),
    "shown_of": ("{a} of {b} drawn", "绘制 {a}/{b} 人"),
    "trees_caption": ("The four largest chains, starter in the centre, one ring per level. Large chains are thinned for "
                      "readability: at most {c} referees per owner and {n} owners per chain are drawn.",
                      "最大的四条推荐链，起点位于中心，每个圆环代表一层。为便于阅读，大链条做了精简：每人最多绘制 {c} 个被推荐人，每条链最多 {n} 人。"),
    "chains_summary": ("{chains} chains with {owners} owners; the largest has {largest} owners, the deepest {deepest} levels.",
                       "共 {chains} 条推荐链，涉及 {owners} 位车主；最大一条 {largest} 人，最深 {deepest} 层。"),
    # integrity
    "sec_integrity": ("Referral integrity", "推荐核查"),
    "integrity_lead": ("Referrals that look wrong, and what the analysis did with them.",
                       "看起来有问题的推荐记录，以及分析中如何处理。"),
    "integrity_chart": ("Findings by kind", "按类型统计的问题"),
    "integrity_ok": ("No integrity findings: every referral looks consistent.", "未发现问题：所有推荐记录均一致。"),
    "self_referral": ("self-referral", "自我推荐"),
    "cycle": ("cycle", "循环推荐"),
    "double_claim": ("claimed twice", "重复认领"),
    "staff_referral": ("by staff", "员工推荐"),
    "after_delivery": ("after delivery", "提车后推荐"),
    "burst": ("burst", "短期激增"),
    "findings": ("findings", "问题数"),
    # ambassadors
    "sec_ambassadors": ("Ambassador picks", "大使人选"),
    "ambassadors_lead": ("Owners who together reach the most others (influence maximization on who engages with "
                         "whom, who referred whom and who meets at events). Staff and opted-out owners are never picked.",
                         "合在一起能影响最多车主的人选（基于互动、推荐和共同活动的影响力最大化）。员工和退订营销的车主不会入选。"),
    "spread_title": ("Expected reach by number of ambassadors", "大使人数与预期影响人数"),
    "spread_k": ("ambassadors (k)", "大使人数 (k)"),
    "spread_y": ("expected owners reached", "预期影响车主数"),
    "spread_mc": ("Monte Carlo check of the {k} picks: {mean} owners (95% CI {lo}–{hi}).",
                  "{k} 位人选的蒙特卡洛检验：{mean} 位车主（95% 置信区间 {lo}–{hi}）。"),
    "picked": ("picked", "已选"),
    # volunteers
    "sec_volunteers": ("Volunteer pipeline", "志愿者储备"),
    "volunteers_lead": ("Who resembles today's volunteers in the event network and in behaviour: invite the top of the list.",
                        "在活动网络和行为上与现有志愿者相似的车主：优先邀请名单前列的人。"),
    "funnel_title": ("From owner to volunteer", "从车主到志愿者"),
    "f_owners": ("owners", "车主"),
    "f_attended": ("attended an event", "参加过活动"),
    "f_regular": ("attended 3+ events", "参加 3 场以上"),
    "f_led": ("organised or helped", "组织或协助过"),
    "f_volunteers": ("volunteers", "志愿者"),
    "f_candidates": ("candidates (score ≥ 0.5)", "候选人（得分 ≥ 0.5）"),
    "auc": ("validation AUC", "验证 AUC"),
    "auc_note": ("{hidden} known volunteers were hidden and scored blind; a hidden volunteer outranks a random "
                 "owner with probability {auc}. {recall} of them are in the top {k}.",
                 "随机隐藏 {hidden} 位已知志愿者后盲评：隐藏志愿者排在随机车主之前的概率为 {auc}；其中 {recall} 进入前 {k} 名。"),
    "recall": ("recall@{k}", "前 {k} 名召回率"),
    "no_validation": ("Too few volunteers to validate the model.", "志愿者太少，无法验证模型。"),
    # levels
    "sec_levels": ("Owner levels", "车主等级"),
    "levels_lead": ("Relationship levels from fixed, explainable thresholds on contribution points and concrete steps.",
                    "基于贡献积分和具体行为的固定、可解释门槛划分的关系等级。"),
    "pyramid_title": ("Owners per level", "各等级车主人数"),
    # table headers
    "h_owner": ("owner", "车主"),
    "h_reason": ("reason", "原因"),
    "h_cities": ("top cities", "主要城市"),
    "h_models": ("top car models", "主要车型"),
    "h_density": ("density", "密度"),
    "h_inside": ("ties inside", "圈内联系"),
    "h_leaders": ("leaders", "核心人物"),
    "h_bridges": ("bridges", "跨圈桥梁"),
    "h_starter": ("chain starter", "链起点"),
    "h_days": ("median days to delivery", "提车中位天数"),
    "h_kind": ("kind", "类型"),
    "h_owners": ("owners involved", "涉及车主"),
    "h_action": ("action", "处理"),
    "h_evidence": ("evidence", "依据"),
    "h_gain": ("marginal gain", "边际增益"),
    "h_cum": ("cumulative reach", "累计影响"),
    "h_direct": ("direct reach", "直接影响"),
    "h_channel": ("main channel", "主要渠道"),
    "h_weeks": ("active weeks", "活跃周数"),
    "h_helping": ("helping", "帮助他人"),
    "h_points": ("points", "积分"),
    "h_next": ("next step", "下一步"),
    "h_median_points": ("median points", "积分中位数"),
    "closest_title": ("Closest to the next level", "最接近升级的车主"),
    # values
    "v_interactions": ("interactions", "互动"),
    "v_referrals": ("referrals", "推荐"),
    "v_coattendance": ("events together", "共同活动"),
    "v_dropped": ("dropped", "已剔除"),
    "v_first touch": ("first touch", "首次触达归属"),
    "v_no credit": ("no credit", "不计奖励"),
    "v_not a conversion": ("not a conversion", "不计成交"),
    "v_flagged": ("flagged", "已标记"),
    # appendix
    "sec_about": ("About this report", "关于本报告"),
}


def t(key: str, lang: str, **fmt: object) -> str:
    """The label ``key`` in ``lang`` ("en" or "zh"), formatted with ``fmt``."""
    en, zh = LABELS[key]
    s = zh if check_lang(lang) == "zh" else en
    return s.format(**fmt) if fmt else s
