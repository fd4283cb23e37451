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
    # this week
    "sec_actions": ("This week", "本周待办"),
    "actions_lead": ("What to do this week, from the targets and findings below: each line says how many owners, "
                     "the first of them, and the CSV to hand to whoever acts.",
                     "根据下方的目标名单和核查结果整理的本周待办：每项列出人数、排在最前的车主，以及可直接交给执行同事的 CSV。"),
    "a_invite_volunteers": ("Invite volunteer candidates", "邀请志愿者候选人"),
    "a_decide_findings": ("Decide referral findings (double claims, bursts)", "裁定推荐问题（重复认领、短期激增）"),
    "a_reward_referrers": ("Thank or reward referrers", "感谢或奖励推荐人"),
    "a_reactivate_drifting": ("Reach out to drifting owners", "联系活跃度下滑的车主"),
    "a_win_back_lapsed": ("Win back lapsed owners", "唤回沉寂车主"),
    "a_brief_ambassadors": ("Brief the ambassadors", "向大使介绍活动"),
    "aw_invite_volunteers": ("Owners who most resemble today's volunteers (targets: volunteer_invite).",
                             "与现有志愿者最相似的车主（目标名单：志愿者邀请）。"),
    "aw_decide_findings": ("Referrals claimed twice or registered in a burst: the cleaning kept one claim or only "
                           "flagged them; someone has to confirm before rewards go out.",
                           "被重复认领或短期内集中登记的推荐：清洗时只保留了一条认领或仅作标记，发放奖励前需人工确认。"),
    "aw_reward_referrers": ("Owners whose referrals converted, most credited first (targets: referral_reward).",
                            "推荐已成交的车主，按归属成交数排序（目标名单：推荐奖励）。"),
    "aw_reactivate_drifting": ("High past contribution, activity falling now: talk to them before their level drops.",
                               "过去贡献高、近期活跃度明显下降：在等级下降之前联系他们。"),
    "aw_win_back_lapsed": ("Once active, quiet for months (targets: reactivation).",
                           "曾经活跃、已沉寂数月的车主（目标名单：唤回）。"),
    "aw_brief_ambassadors": ("The ambassador picks, in pick order (targets: ambassador).",
                             "大使人选，按入选顺序（目标名单：大使）。"),
    "a_unavailable": ("Not available: its analysis could not run on this data (see its section).",
                      "暂不可用：相应分析无法基于当前数据运行（见对应章节）。"),
    "a_details": ("details", "详情"),
    "legend": ("legend", "图例"),
    "top_pct": ("top {p}%", "前 {p}%"),
    "h_standing": ("standing", "排名位置"),
    "how_median": ("Shown as a multiple of the median owner who has any (2.0× = twice the median).",
                   "以有该项数值车主的中位数的倍数显示（2.0× 即中位数的两倍）。"),
    # targets
    "sec_targets": ("Targets for the CRM", "CRM 目标名单"),
    "targets_lead": ("One table for the CRM across four programs; staff, opted-out and excluded owners never appear. "
                     "An owner can be in several programs.",
                     "面向 CRM 的统一目标名单，涵盖四个项目；员工、退订营销和排除名单中的车主不会出现。一位车主可以出现在多个项目中。"),
    "p_ambassador": ("Ambassadors", "大使"),
    "p_volunteer_invite": ("Volunteer invitations", "志愿者邀请"),
    "p_referral_reward": ("Referral rewards", "推荐奖励"),
    "p_reactivation": ("Reactivation", "唤回"),
    "pm_ambassador": ("Impact: extra owners reached in expectation by this pick.", "影响：此人选预计新增影响的车主数。"),
    "pm_volunteer_invite": ("Impact: resemblance to today's volunteers, 0-1.", "影响：与现有志愿者的相似度（0-1）。"),
    "pm_referral_reward": ("Impact: conversions credited to the owner (1 per direct, 0.5 per second-level conversion ...).",
                           "影响：归属于该车主的成交数（直接推荐 1，第二层 0.5 ……）。"),
    "pm_reactivation": ("Impact: activities per month in their last active year (what a return would restore).",
                        "影响：最后活跃一年中每月的活动次数（唤回后可恢复的活跃度）。"),
    "h_impact": ("impact", "影响"),
    # ambassadors' guarantee
    "spread_mc_skipped": ("Monte Carlo check skipped (mc_runs = 0).", "已跳过蒙特卡洛检验（mc_runs = 0）。"),
    "guarantee": ("Guarantee: these picks are certified to reach at least {pct} of what the best possible set of the same "
                  "size would reach (certified ≥ {ratio} × optimum), with high probability.",
                  "保证：这组人选的影响力经证明至少达到同等人数最优组合的 {pct}（认证 ≥ {ratio} × 最优），且成立的概率很高。"),
    "guarantee_plain": ("Without caps or a budget the method aims for at least 1 - 1/e - eps (about 53-63%); the figure "
                        "above is what was actually proven on this data.",
                        "在没有名额上限和预算时，方法的目标下限是 1 - 1/e - eps（约 53%-63%）；上面的数字是在本数据上实际证明的比例。"),
    "guarantee_caps": ("Caps per city or circle lower the proven share: the best set under caps may be worse than the best "
                       "set without them, and greedy picking under caps only guarantees 1/2 (1/3 with both caps) of the optimum.",
                       "按城市或圈层设置名额上限会降低可证明的比例：受限时的最优组合可能不如不受限的最优组合，而且受限贪心选择只能保证最优的 1/2（两种上限同时设置时为 1/3）。"),
    "guarantee_budget": ("A budget lowers the proven share: with costs, greedy picking only guarantees (1 - 1/e)/2 of the "
                         "optimum, and the figure is measured against the best set without a budget.",
                         "预算会降低可证明的比例：考虑成本时，贪心选择只能保证最优的 (1 - 1/e)/2，而且该比例是相对于不受预算限制的最优组合计算的。"),
    # volunteers' validation
    "auc_means": ("Ranking quality: a volunteer the model never saw ranks above a random owner {pct} of the time "
                  "(50% = coin toss).", "排序质量：模型未见过的志愿者排在随机车主之前的概率为 {pct}（50% 相当于随机）。"),
    "recall_means": ("Short list: {found} of {hidden} hidden volunteers are in the top {k} (at most {best} could be).",
                     "短名单：{hidden} 位隐藏志愿者中有 {found} 位进入前 {k} 名（最多可能为 {best}）。"),
    "val_both_good": ("The ranking and the short list both find volunteers.", "排序和短名单都能找到志愿者。"),
    "val_rank_ok_list_weak": ("The ranking is good overall, but the top of the list catches few of them: invite "
                              "deeper into the list.", "整体排序良好，但名单前列找到的志愿者不多：请邀请更靠后的候选人。"),
    "val_list_ok": ("The short list works, but the ranking below it is weak: do not read much into lower ranks.",
                    "短名单有效，但其后的排序较弱：不要过度解读靠后的名次。"),
    "val_weak": ("The model finds volunteers poorly on this data: treat the list as a rough guide.",
                 "在当前数据上模型较难找到志愿者：名单仅供粗略参考。"),
    "val_how": ("How it was measured: {hidden} known volunteers were hidden and the model ranked everyone blind.",
                "测量方式：随机隐藏 {hidden} 位已知志愿者，模型在不知情的情况下为所有人排序。"),
    # levels
    "h_next_level": ("next level", "下一等级"),
    "h_to_go": ("points to go", "还差积分"),
    "closest_note": ("Owners who still miss points, closest (share of the gap to the next level) first; {n} more owners "
                     "already have the points and miss only a step (see owner_levels.csv).",
                     "仍差积分的车主，按距下一等级的差距比例从小到大排列；另有 {n} 位车主积分已够，只差一项具体行为（见 owner_levels.csv）。"),
    # movement
    "sec_movement": ("Movement", "车主变化"),
    "movement_lead": ("What changed between the last 30 days and the 30 days before: who is drifting, who is rising, how "
                      "levels moved and how new owners start.",
                      "最近 30 天与此前 30 天相比的变化：谁在流失、谁在崛起、等级如何变动、新车主如何起步。"),
    "drift_title": ("Drifting owners", "活跃度下滑的车主"),
    "drift_note": ("High past contribution, activity down by half or more; their level usually has not dropped yet.",
                   "过去贡献高、活跃度下降一半以上；他们的等级通常尚未下降。"),
    "rising_title": ("Rising stars", "新星车主"),
    "transitions_title": ("Level transitions", "等级变动"),
    "cohort_title": ("New-owner cohorts: first 90 days", "新车主群组：加入后的前 90 天"),
    "h_points_then": ("points then", "此前积分"),
    "h_act_then": ("activities then", "此前活动"),
    "h_act_now": ("activities now", "本期活动"),
    "h_drop": ("drop", "降幅"),
    "h_rank_now": ("KOC rank now", "当前 KOC 名次"),
    "h_rank_gain": ("places climbed", "上升名次"),
    "h_engagers": ("engagers", "互动车主"),
    "h_then": ("then", "此前"),
    "h_up": ("up", "升级"),
    "h_held": ("held", "保持"),
    "h_down": ("down", "降级"),
    "h_new": ("new", "新加入"),
    "h_now": ("now", "现在"),
    "h_cohort": ("joined", "加入月份"),
    "h_posted": ("posted", "发帖"),
    "h_attended": ("attended", "参加活动"),
    "h_referred": ("referred", "推荐"),
    "h_active": ("any activity", "有任何活动"),
    # backtest
    "sec_backtest": ("Backtest: would our picks have won?", "回测：我们的人选会更好吗？"),
    "backtest_lead": ("Picks of {k} owners made from the data before a past date, then the owners each set actually "
                      "reached afterwards: our ambassador method against the obvious lists.",
                      "用过去某一日期之前的数据各选 {k} 位车主，再统计每组人选在该日期之后实际影响到的车主：我们的大使方法与常见名单对比。"),
    "backtest_won": ("{method} beat the best simple list: {ratio}× its reach (interval {lo}–{hi}).",
                     "{method} 胜过最好的简单名单：影响力为其 {ratio} 倍（区间 {lo}–{hi}）。"),
    "backtest_lost": ("{method} reached less than the best simple list: {ratio}× its reach (interval {lo}–{hi}).",
                      "{method} 的影响不及最好的简单名单：为其 {ratio} 倍（区间 {lo}–{hi}）。"),
    "backtest_tie": ("{method} and the best simple list cannot be told apart: {ratio}× its reach (interval {lo}–{hi}).",
                     "{method} 与最好的简单名单难分高下：为其 {ratio} 倍（区间 {lo}–{hi}）。"),
    "h_method": ("method", "方法"),
    "h_reach_after": ("owners reached after", "之后影响车主数"),
    "h_low": ("low", "下限"),
    "h_high": ("high", "上限"),
    "h_ratio": ("× best simple list", "相对最佳简单名单"),
    "bt_ambassadors_wc": ("ambassadors (weighted cascade)", "大使（加权级联）"),
    "bt_ambassadors_exp": ("ambassadors (exponential)", "大使（指数概率）"),
    "bt_ambassadors_learned": ("ambassadors (learned)", "大使（学习概率）"),
    "bt_kocs": ("top KOCs", "头部 KOC"),
    "bt_out_degree": ("most followed", "触达最多"),
    "bt_pagerank": ("PageRank", "PageRank 排名"),
    "bt_recent_engagers": ("most recent engagers", "近期互动最多"),
    "bt_random": ("random owners", "随机车主"),
    "bt_picks": ("your own list", "自定名单"),
    # campaigns
    "sec_campaigns": ("Campaigns", "营销活动效果"),
    "campaigns_lead": ("Each recorded campaign: treated owners against the hold-out that was never contacted, and their "
                       "neighbours, with the interval of the lift.",
                       "每个已登记活动：接触对象与从未接触的对照组对比，以及他们的邻近车主，并给出提升的区间。"),
    "no_campaigns": ("No campaign recorded yet (graphcrm targets --campaign NAME records one with its hold-out).",
                     "尚未登记任何活动（graphcrm targets --campaign 名称 可登记活动及其对照组）。"),
    "h_campaign": ("campaign", "活动"),
    "h_scope": ("who", "对象"),
    "h_outcome": ("outcome", "指标"),
    "h_treated": ("treated", "接触组"),
    "h_control": ("control", "对照组"),
    "h_lift": ("lift", "提升"),
    "h_verdict": ("verdict", "结论"),
    "v_members": ("members", "成员"),
    "v_neighbours": ("neighbours", "邻近车主"),
    "v_higher": ("higher", "更高"),
    "v_lower": ("lower", "更低"),
    "v_no measurable effect": ("no measurable effect", "无可测效果"),
    "v_too small to tell": ("too small to tell", "样本太少无法判断"),
    "v_referrals_made": ("referrals made", "发起推荐"),
    "v_referrals_converted": ("referrals converted", "推荐成交"),
    "v_events_attended": ("events attended", "参加活动"),
    "v_events_led": ("events led", "组织活动"),
    "v_posts": ("posts", "发帖"),
    "v_engagement_received": ("engagement received", "收到的互动"),
    "v_engagement_given": ("engagement given", "给出的互动"),
    "v_level_change": ("level change", "等级变化"),
    # appendix
    "sec_about": ("About this report", "关于本报告"),
}


def t(key: str, lang: str, **fmt: object) -> str:
    """The label ``key`` in ``lang`` ("en" or "zh"), formatted with ``fmt``."""
    en, zh = LABELS[key]
    s = zh if check_lang(lang) == "zh" else en
    return s.format(**fmt) if fmt else s


# ----------------------------------------------------------------------------------------------
# legends: the meaning of a column comes from the analysis's ResultSpec (English); the Chinese
# text is its translation, kept here beside the labels
# ----------------------------------------------------------------------------------------------
#: ResultSpec units in Chinese
UNITS_ZH: dict[str, str] = {
    "rank": "名次", "ranks": "名次", "0-100": "0-100 分", "0-1": "0-1", "owners": "车主数", "points": "积分",
    "PageRank × owners": "影响力权重，1 = 平均", "conversions": "成交数", "circles": "圈层数", "share 0-1": "比例",
    "levels": "层", "events": "场活动", "weeks": "周", "comments": "条评论回复", "activities": "次活动",
    "interactions": "次互动", "per owner": "每位车主", "days": "天", "× average": "平均值的倍数",
    "days ": "天", "referrals": "次推荐", "posts": "篇帖子", "circle": "圈层编号", "per program": "因项目而异",
}

#: Chinese meaning of the ResultSpec columns the report shows ("analysis.column")
MEANINGS_ZH: dict[str, str] = {
    "kocs.rank": "KOC 名次，1 = 最强",
    "kocs.score": "KOC 得分：五个分项的加权组合",
    "kocs.reach": "与其帖子互动过的不同车主人数",
    "kocs.engagement": "收到的互动，按类型和时间加权，已折算互赞小圈子",
    "kocs.authority": "被本身也受关注的车主关注的程度（1 = 平均）",
    "kocs.conversion": "多层推荐成交归属（直接 1，其后 0.5、0.25）",
    "kocs.bridging": "其独立受众来自的圈层数",
    "circle_profiles.size": "圈层人数",
    "circle_profiles.share": "占全部车主的比例",
    "circle_profiles.top_cities": "主要城市及其在成员中的占比",
    "circle_profiles.top_car_models": "主要车型及其在成员中的占比",
    "circle_profiles.density": "圈内实际联系占所有可能两两联系的比例",
    "circle_profiles.internal_share": "成员联系中留在圈内的比例",
    "circle_profiles.leaders": "圈层内的头部 KOC（车主 ID）",
    "circle_profiles.bridges": "圈层主要的跨圈桥梁（车主 ID）",
    "referral_chains.root_id": "发起该推荐链的车主",
    "referral_chains.chain_size": "整条推荐链的人数",
    "referral_chains.chain_depth": "整条推荐链的层数",
    "referral_issues.kind": "问题类型：自我推荐、循环推荐、重复认领、员工推荐、提车后推荐或短期激增",
    "referral_issues.owner_id": "问题所涉及的车主（推荐人；重复认领时为被推荐人）",
    "referral_issues.owners": "涉及的全部车主",
    "referral_issues.action": "清洗时的处理：剔除、首次触达归属、不计奖励、不计成交、仅标记",
    "targets.priority": "项目内的顺序，1 = 最优先",
    "volunteer_candidates.score": "与现有志愿者的相似程度（拟合概率）",
    "volunteer_candidates.events_attended": "参加（签到）过的活动数，任何角色",
    "volunteer_candidates.events_led": "组织、主持或担任志愿者的活动数",
    "volunteer_candidates.active_weeks": "有任何活动的不同周数",
    "volunteer_candidates.helping": "在其他车主帖子下的评论和回复数",
    "owner_levels.level_name": "等级名称",
    "owner_levels.contribution": "等级所依据的贡献积分（随时间衰减）",
    "owner_levels.next_level": "上一级等级（已是最高级则为空）",
    "owner_levels.points_to_next": "升到下一等级还差的积分（已够则为 0）",
    "drifting_owners.contribution_then": "此前一期期末的贡献积分（随时间衰减）",
    "drifting_owners.activity_then": "此前一期自己的活动次数",
    "drifting_owners.activity_now": "本期自己的活动次数",
    "drifting_owners.activity_drop": "1 - 本期活动 / 此前活动",
    "rising_stars.koc_rank_now": "当前 KOC 名次",
    "rising_stars.koc_rank_gain": "上升的名次（此前无得分按并列最后计）",
    "rising_stars.engagers_now": "本期与其帖子互动的不同车主人数",
    "level_transitions.level_name": "等级名称",
    "level_transitions.owners_then": "此前一期期末处于该等级的车主",
    "level_transitions.moved_up": "其中现在处于更高等级的人数",
    "level_transitions.held": "其中仍处于该等级的人数",
    "level_transitions.moved_down": "其中现在处于更低等级的人数",
    "level_transitions.new": "本期新加入且现在处于该等级的车主",
    "level_transitions.owners_now": "现在处于该等级的车主",
    "new_owner_cohort.cohort": "加入月份",
    "new_owner_cohort.owners": "当月加入的非员工车主",
    "new_owner_cohort.posted_share": "前 90 天内发过帖的比例",
    "new_owner_cohort.attended_share": "前 90 天内参加过活动的比例",
    "new_owner_cohort.referred_share": "前 90 天内推荐过朋友的比例",
    "new_owner_cohort.active_share": "前 90 天内有任何活动的比例",
    "campaign_lift.scope": "成员（接触组对比对照组）或邻近车主（接触组的一度邻居对比对照组的一度邻居：溢出效应）",
    "campaign_lift.outcome": "窗口期内统计的指标",
    "campaign_lift.treated_mean": "接触组的平均值",
    "campaign_lift.control_mean": "对照组的平均值",
    "campaign_lift.difference": "接触组均值减对照组均值：提升",
    "campaign_lift.ci_low": "提升区间的下限",
    "campaign_lift.ci_high": "提升区间的上限",
    "campaign_lift.verdict": "更高、更低、无可测效果或样本太少无法判断",
}

#: meanings of the columns the report derives itself (en, zh)
REPORT_MEANINGS: dict[str, tuple[str, str]] = {
    "standing": ("share of all scored owners with a score at least as high (top 1% = the best hundredth)",
                 "得分不低于该车主的车主占全部已评分车主的比例（前 1% 即最好的百分之一）"),
    "circle_label": ("the circle's number and main city, as on the map", "圈层编号及主要城市，与地图上一致"),
    "tree_conversions": ("owners in the chain below its starter who ordered or took delivery",
                         "链起点以下、已下订或提车的车主数"),
    "tree_median_days": ("median days from referral to delivery over the chain's converted owners (the same number "
                         "graphcrm referral-trees prints)",
                         "链中已成交车主从被推荐到提车的中位天数（与 graphcrm referral-trees 输出一致）"),
    "amb_rank": ("pick order, 1 = first pick", "入选顺序，1 = 第一位"),
    "amb_gain": ("owners this pick reaches in expectation beyond the earlier picks",
                 "此人选在前面人选之外预计新增影响的车主数"),
    "amb_cum": ("share of all owners reached in expectation by the picks up to this one",
                "截至此人选，全部人选预计影响的车主占全部车主的比例"),
    "amb_direct": ("owners they can influence directly", "可直接影响的车主数"),
    "amb_channel": ("the tie carrying most of their influence: interactions, referrals or events together",
                    "承载其大部分影响力的联系：互动、推荐或共同活动"),
    "impact_ambassador": ("extra owners reached in expectation", "预计新增影响的车主数"),
    "impact_volunteer_invite": ("resemblance to today's volunteers, 0-1", "与现有志愿者的相似度，0-1"),
    "impact_referral_reward": ("conversions credited to the owner", "归属于该车主的成交数"),
    "impact_reactivation": ("activities per month in their last active year", "最后活跃一年中每月的活动次数"),
    "level_owners": ("owners at the level", "处于该等级的车主数"),
    "level_share": ("share of all owners", "占全部车主的比例"),
    "level_median": ("median contribution points of the level's owners", "该等级车主贡献积分的中位数"),
    "bt_method": ("how the list was made from the data before the split date", "名单如何基于分割日期之前的数据产生"),
    "bt_k": ("owners on the list", "名单人数"),
    "bt_reach": ("owners the list reached after the split date (exposed through chains of real interactions, events "
                 "and referrals)", "分割日期之后名单实际影响到的车主数（通过真实的互动、活动和推荐链）"),
    "bt_low": ("lower end of the 95% bootstrap interval of that reach", "该影响人数 95% 自助法区间的下限"),
    "bt_high": ("upper end of that interval", "该区间的上限"),
    "bt_ratio": ("reach divided by the reach of the best simple list (kocs, out_degree, pagerank, recent_engagers, "
                 "random); above 1 = better", "影响人数除以最佳简单名单的影响人数；大于 1 即更好"),
}


def meaning(src: str, lang: str) -> tuple[str, str]:
    """(unit, plain meaning) of a report column in ``lang``.

    ``src`` is ``"analysis.column"``: unit and meaning are the column's declaration in the
    analysis's :class:`~graphcrm.results.ResultSpec` (Chinese: its translation in
    :data:`MEANINGS_ZH` / :data:`UNITS_ZH`); or ``"report.key"`` for a column the report derives
    (:data:`REPORT_MEANINGS`, no unit).
    """
    lang = check_lang(lang)
    analysis, col = src.split(".", 1)
    if analysis == "report":
        en, zh = REPORT_MEANINGS[col]
        return "", (zh if lang == "zh" else en)
    from graphcrm.analyses import spec

    c = spec(analysis).column(col)
    if lang == "zh":
        return UNITS_ZH.get(c.unit, c.unit), MEANINGS_ZH.get(src, c.meaning)
    return c.unit, c.meaning


#: Chinese CSV headers (column names of the analyses and of the report's own tables)
COLUMNS_ZH: dict[str, str] = {}


def csv_header(col: str, lang: str) -> str:
    """The CSV header of column ``col`` in ``lang`` (English: the column name itself)."""
    if check_lang(lang) != "zh":
        return col
    return COLUMNS_ZH.get(col, col)
