"""One owner's profile as a small HTML page, in the report's style (``graphcrm owner ID --html``)."""
from __future__ import annotations

import pandas as pd

from graphcrm.algorithms.owner import ATTRIBUTES, OwnerProfile, fmt, label
from graphcrm.i18n import pick
from graphcrm.reports.html import CSS, esc

__all__ = ["owner_html"]


def owner_html(profile: OwnerProfile, *, show_names: bool = False) -> str:
    """One owner's profile as a small self-contained HTML page in the report's style (the
    report's CSS; no scripts, fonts or images from anywhere).

    Parameters
    ----------
    profile : OwnerProfile
        From :func:`graphcrm.algorithms.owner.owner_profile`.
    show_names : bool, default False
        Show the owner's name (only if the profile holds it: ``owner_profile(show_names=True)``).

    Returns
    -------
    str
        The page.  Every value from the data is HTML-escaped.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> from graphcrm.algorithms.owner import owner_profile
    >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a"], "name": ["Ann"], "city": ["<i>x</i>"]})})
    >>> page = owner_html(owner_profile(c, "a", include_targets=False, show_names=True))
    >>> page.startswith("<!DOCTYPE html>"), "Ann" in page, "&lt;i&gt;x&lt;/i&gt;" in page
    (True, False, True)
    """
    from graphcrm import __version__

    L = profile.lang
    head = esc(profile.owner_id) + (f" · {esc(profile.name)}" if show_names and profile.name else "")
    facts = [f"<span><b>{esc(label(k, L))}</b>{esc(fmt(profile.attributes.get(k)))}</span>"
             for k in ATTRIBUTES if profile.attributes.get(k) not in (None, False, "")]
    facts.append(f"<span><b>{esc(pick(L, en='as of', zh='截至'))}</b>{esc(f'{profile.as_of:%Y-%m-%d}')}</span>")

    def card(title: str, body: str) -> str:
        return f'<section class="card"><h2>{esc(title)}</h2>{body}</section>'

    def kv(d: dict, keys: list[str]) -> str:
        rows = "".join(f"<tr><th>{esc(k)}</th><td class=\"num\">{esc(fmt(d.get(k)))}</td></tr>" for k in keys)
        return f'<div class="tbl-wrap"><table><tbody>{rows}</tbody></table></div>'

    def frame(df: pd.DataFrame | None) -> str:
        if df is None or not len(df):
            return f'<p class="muted">{esc(pick(L, en="none", zh="无"))}</p>'
        th = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
        body = "".join("<tr>" + "".join(f"<td>{esc(fmt(v))}</td>" for v in row) + "</tr>"
                       for row in df.itertuples(index=False))
        return f'<div class="tbl-wrap"><table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>'

    lv = profile.level
    cards = []
    if lv:
        lead = f"{lv['level_name']} · {lv['contribution']:,.1f} {pick(L, en='points', zh='积分')}"
        body = f'<p class="summary">{esc(lead)}</p><p class="lead">{esc(lv["next_step"])}</p>'
        if lv.get("grace_hold"):
            body += f'<p class="basis">{esc(pick(L, en="kept by the grace period; the record alone is ", zh="宽限期保留；当前记录为 "))}{esc(lv["raw_level_name"])}</p>'
        body += f'<p class="basis">{esc(lv.get("grace_rule", ""))}</p>'
        cards.append(card(pick(L, en="Level and next step", zh="等级与下一步"), body))
    cards.append(card(pick(L, en="Contribution by kind", zh="各类贡献"), kv(profile.contribution, list(profile.contribution))))
    if profile.koc:
        keys = ["rank", "ranked", "score", "qualified", "reach", "effective_reach", "engagement", "active_days",
                "closed_group_share", "authority", "conversion", "bridging"]
        cards.append(card("KOC", kv(profile.koc, keys) + f'<p class="basis">{esc(profile.koc.get("reason", ""))}</p>'))
    c = dict(profile.circle)
    ties = c.pop("ties", [])
    body = kv(c, [k for k in c if k != "reason"]) + f'<p class="basis">{esc(c.get("reason", ""))}</p>'
    if ties:
        body += frame(pd.DataFrame(ties, columns=["circle", "tie_share"]))
    cards.append(card(pick(L, en="Circle", zh="圈子"), body))
    r = profile.referral
    body = kv(r, list(r)) + frame(profile.referrals_made)
    cards.append(card(pick(L, en="Referral chain", zh="推荐链"), body))
    cards.append(card(pick(L, en="Findings", zh="异常发现"), frame(profile.findings)))
    if profile.targets is not None:
        cards.append(card(pick(L, en="Programs targeted for", zh="入选项目"), frame(profile.targets)))
    cards.append(card(pick(L, en="Timeline by month", zh="按月活动"), frame(profile.timeline)))
    notes = "".join(f'<div class="note note-info"><span>{esc(n)}</span></div>' for n in profile.notes)
    title = pick(L, en="Owner profile", zh="车主档案")
    lang_attr = "zh-CN" if L == "zh" else "en"
    return (f'<!DOCTYPE html>\n<html lang="{lang_attr}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="graphcrm {esc(__version__)}">'
            f'<title>{esc(title)} {esc(profile.owner_id)}</title><style>{CSS}</style></head><body>'
            f'<header class="top"><div class="wrap"><h1>{esc(title)}: {head}</h1>'
            f'<div class="facts">{"".join(facts)}</div></div></header>'
            f'<main class="wrap">{"".join(cards)}{notes}</main>'
            f'<footer>graphcrm {esc(__version__)}</footer></body></html>\n')
