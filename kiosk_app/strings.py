"""Every string the interface shows, in every language it speaks, in one table.

Content (venue names, descriptions) comes from packs; this table is only the interface
around it. zh-Hans and en must be complete (a test fails otherwise); other languages may
be partial and fall back per string, like content does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from content_sync import i18n

REQUIRED_LANGUAGES = ("zh-Hans", "en")

# Each language's own name, as shown on its switch button.
LANGUAGE_NAMES: dict[str, str] = {
    "zh-Hans": "中文", "en": "English", "ja": "日本語", "ko": "한국어", "ru": "Русский", "ar": "العربية",
}  # fmt: skip

STRINGS: dict[str, dict[str, str]] = {
    # chrome
    "app.title": {"zh-Hans": "文化旅游导览", "en": "Culture & Travel Guide"},
    "nav.home": {"zh-Hans": "首页", "en": "Home"},
    "nav.back": {"zh-Hans": "返回", "en": "Back"},
    "nav.search": {"zh-Hans": "搜索", "en": "Search"},
    "nav.language": {"zh-Hans": "语言", "en": "Language"},
    "a11y.high_contrast": {"zh-Hans": "高对比度", "en": "High contrast"},
    "a11y.large_text": {"zh-Hans": "大字", "en": "Large text"},
    # attract loop
    "attract.touch_to_start": {"zh-Hans": "轻触屏幕开始", "en": "Touch to start"},
    "attract.featured": {"zh-Hans": "推荐", "en": "Featured"},
    "attract.today": {"zh-Hans": "今日活动", "en": "Today"},
    # home
    "home.welcome": {"zh-Hans": "欢迎！想去哪里？", "en": "Welcome! Where would you like to go?"},
    "home.themes": {"zh-Hans": "文化主题", "en": "Themes"},
    "home.featured": {"zh-Hans": "推荐去处", "en": "Featured places"},
    "home.open_now": {"zh-Hans": "现在开放", "en": "Open now"},
    "home.open_now_count": {"zh-Hans": "{n} 处现在开放", "en": "{n} places open now"},
    "home.events": {"zh-Hans": "今日活动", "en": "Today's events"},
    "home.no_events_today": {"zh-Hans": "今天没有活动，看看本周的安排。", "en": "No events today. See this week's."},
    "home.routes": {"zh-Hans": "文化线路", "en": "Cultural routes"},
    "home.transport": {"zh-Hans": "交通", "en": "Getting around"},
    "home.practical": {"zh-Hans": "实用信息", "en": "Practical information"},
    "home.hotel_room": {"zh-Hans": "客房服务", "en": "Your room"},
    "home.search": {"zh-Hans": "搜索地点", "en": "Search places"},
    "home.map": {"zh-Hans": "地图", "en": "Map"},
    "home.all_places": {"zh-Hans": "全部地点", "en": "All places"},
    "home.notice": {"zh-Hans": "提示", "en": "Notice"},
    # status strip
    "status.weather_none": {"zh-Hans": "暂无天气信息", "en": "No weather data yet"},
    "status.weather": {"zh-Hans": "{temp}°C {condition}", "en": "{temp}°C {condition}"},
    "status.updated_minutes": {"zh-Hans": "{n} 分钟前更新", "en": "updated {n} min ago"},
    "status.updated_hours": {"zh-Hans": "{n} 小时前更新", "en": "updated {n} h ago"},
    "status.updated_days": {"zh-Hans": "{n} 天前更新", "en": "updated {n} days ago"},
    "status.content_version": {"zh-Hans": "内容版本 {v}", "en": "Content version {v}"},
    # venue list and filters
    "list.title": {"zh-Hans": "地点", "en": "Places"},
    "list.all": {"zh-Hans": "全部", "en": "All"},
    "list.theme": {"zh-Hans": "主题", "en": "Theme"},
    "list.category": {"zh-Hans": "类别", "en": "Type"},
    "list.district": {"zh-Hans": "区县", "en": "District"},
    "list.open_now": {"zh-Hans": "现在开放", "en": "Open now"},
    "list.count": {"zh-Hans": "{n} 个地点，按距离排序", "en": "{n} places, nearest first"},
    "list.empty": {"zh-Hans": "没有符合条件的地点。", "en": "No places match these filters."},
    "list.clear_filters": {"zh-Hans": "清除筛选", "en": "Clear filters"},
    "distance.m": {"zh-Hans": "{n} 米", "en": "{n} m"},
    "distance.km": {"zh-Hans": "{n} 公里", "en": "{n} km"},
    # venue detail
    "venue.hours": {"zh-Hans": "开放时间", "en": "Opening hours"},
    "venue.open_now": {"zh-Hans": "正在开放", "en": "Open now"},
    "venue.closed_now": {"zh-Hans": "现在关闭", "en": "Closed now"},
    "venue.always_open": {"zh-Hans": "全天开放", "en": "Open all day"},
    "venue.closes_at": {"zh-Hans": "{time} 关闭", "en": "Closes at {time}"},
    "venue.opens_at": {"zh-Hans": "{day} {time} 开放", "en": "Opens {day} {time}"},
    "venue.last_entry": {"zh-Hans": "最晚入场 {time}", "en": "Last entry {time}"},
    "venue.no_hours": {"zh-Hans": "开放时间未知", "en": "Opening hours unknown"},
    "venue.tickets": {"zh-Hans": "门票", "en": "Tickets"},
    "venue.free": {"zh-Hans": "免费", "en": "Free"},
    "venue.price": {"zh-Hans": "{price} 元", "en": "¥{price}"},
    "venue.accessibility": {"zh-Hans": "无障碍信息", "en": "Accessibility"},
    "venue.getting_there": {"zh-Hans": "如何到达", "en": "Getting there"},
    "venue.from_here": {"zh-Hans": "距本机 {distance}", "en": "{distance} from here"},
    "venue.address": {"zh-Hans": "地址", "en": "Address"},
    "venue.take_away": {"zh-Hans": "带走信息", "en": "Take it with you"},
    "venue.qr_link": {"zh-Hans": "用手机扫码打开此页面", "en": "Scan to open this page on your phone"},
    "venue.qr_map": {"zh-Hans": "用手机扫码在地图中导航", "en": "Scan for directions in your map app"},
    "venue.image_credit": {"zh-Hans": "图片：{credit}", "en": "Image: {credit}"},
    "venue.more_in_theme": {"zh-Hans": "同一主题", "en": "More in this theme"},
    "access.step_free": {"zh-Hans": "无台阶通道", "en": "Step-free access"},
    "access.accessible_toilet": {"zh-Hans": "无障碍卫生间", "en": "Accessible toilet"},
    "access.wheelchair_loan": {"zh-Hans": "可借轮椅", "en": "Wheelchairs to borrow"},
    "access.lift": {"zh-Hans": "有电梯", "en": "Lift"},
    "access.braille": {"zh-Hans": "盲文资料", "en": "Braille information"},
    "access.hearing_loop": {"zh-Hans": "助听环路", "en": "Hearing loop"},
    "access.yes": {"zh-Hans": "有", "en": "Yes"},
    "access.no": {"zh-Hans": "无", "en": "No"},
    "access.unknown": {"zh-Hans": "尚无无障碍信息", "en": "Accessibility not yet surveyed"},
    # routes
    "routes.title": {"zh-Hans": "文化线路", "en": "Cultural routes"},
    "routes.duration_h": {"zh-Hans": "约 {h} 小时", "en": "About {h} h"},
    "routes.duration_hm": {"zh-Hans": "约 {h} 小时 {m} 分钟", "en": "About {h} h {m} min"},
    "routes.duration_m": {"zh-Hans": "约 {m} 分钟", "en": "About {m} min"},
    "routes.stops": {"zh-Hans": "{n} 站", "en": "{n} stops"},
    "routes.distance": {"zh-Hans": "{km} 公里", "en": "{km} km"},
    "routes.stay": {"zh-Hans": "停留约 {m} 分钟", "en": "Stay about {m} min"},
    "routes.mode.walk": {"zh-Hans": "步行", "en": "On foot"},
    "routes.mode.bus": {"zh-Hans": "公交", "en": "By bus"},
    "routes.mode.car": {"zh-Hans": "驾车或打车", "en": "By car or taxi"},
    "routes.mode.mixed": {"zh-Hans": "多种方式", "en": "Mixed transport"},
    "routes.mode.rail": {"zh-Hans": "铁路", "en": "By train"},
    # events
    "events.title": {"zh-Hans": "活动", "en": "Events"},
    "events.today": {"zh-Hans": "今天", "en": "Today"},
    "events.this_week": {"zh-Hans": "本周", "en": "This week"},
    "events.none": {"zh-Hans": "这段时间没有活动。", "en": "No events in this period."},
    "events.at_venue": {"zh-Hans": "地点：{venue}", "en": "At {venue}"},
    # transport and pages
    "transport.title": {"zh-Hans": "交通", "en": "Getting around"},
    "transport.to_centre": {"zh-Hans": "前往市区", "en": "To the city centre"},
    "transport.kind.airport": {"zh-Hans": "机场", "en": "Airport"},
    "transport.kind.rail_station": {"zh-Hans": "火车站", "en": "Railway station"},
    "transport.kind.bus_station": {"zh-Hans": "汽车站", "en": "Bus station"},
    "transport.kind.metro": {"zh-Hans": "地铁", "en": "Metro"},
    "transport.kind.brt": {"zh-Hans": "快速公交", "en": "Bus rapid transit"},
    "transport.kind.bus": {"zh-Hans": "公交", "en": "Bus"},
    "transport.kind.tram": {"zh-Hans": "有轨电车", "en": "Tram"},
    "transport.kind.ferry": {"zh-Hans": "渡轮", "en": "Ferry"},
    "practical.title": {"zh-Hans": "实用信息", "en": "Practical information"},
    "hotel.title": {"zh-Hans": "客房服务", "en": "Your room"},
    "hotel.nearby": {"zh-Hans": "附近现在开放", "en": "Open nearby now"},
    # search and keyboard
    "search.title": {"zh-Hans": "搜索", "en": "Search"},
    "search.hint": {
        "zh-Hans": "输入拼音、拼音首字母或英文，例如 zhongshan、zstq、bridge",
        "en": "Type pinyin, pinyin initials or English, e.g. zhongshan, zstq, bridge",
    },
    "search.results": {"zh-Hans": "找到 {n} 项", "en": "{n} results"},
    "search.none": {"zh-Hans": "没有找到。试试别的拼写或英文。", "en": "Nothing found. Try another spelling."},
    "search.kind.venue": {"zh-Hans": "地点", "en": "Place"},
    "search.kind.route": {"zh-Hans": "线路", "en": "Route"},
    "search.kind.event": {"zh-Hans": "活动", "en": "Event"},
    "search.kind.heritage": {"zh-Hans": "非遗", "en": "Heritage"},
    "search.kind.transport": {"zh-Hans": "交通", "en": "Transport"},
    "search.kind.page": {"zh-Hans": "信息", "en": "Information"},
    "keyboard.space": {"zh-Hans": "空格", "en": "Space"},
    "keyboard.delete": {"zh-Hans": "删除", "en": "Delete"},
    "keyboard.clear": {"zh-Hans": "清空", "en": "Clear"},
    # search screen
    "search.results_one": {"zh-Hans": "找到 1 项", "en": "1 result"},
    # idle reset and errors
    "idle.warning": {
        "zh-Hans": "还在吗？{n} 秒后回到开始页面。",
        "en": "Still there? Returning to the start in {n} s.",
    },
    "idle.continue": {"zh-Hans": "继续浏览", "en": "Keep browsing"},
    "error.title": {"zh-Hans": "抱歉，出了点问题", "en": "Sorry, something went wrong"},
    "error.body": {"zh-Hans": "马上带您回到首页。", "en": "Taking you back to the start."},
    "error.no_content": {
        "zh-Hans": "本机暂时没有内容，请联系工作人员。",
        "en": "This kiosk has no content yet. Please ask a member of staff.",
    },
    # days
    "day.mon": {"zh-Hans": "周一", "en": "Mon"},
    "day.tue": {"zh-Hans": "周二", "en": "Tue"},
    "day.wed": {"zh-Hans": "周三", "en": "Wed"},
    "day.thu": {"zh-Hans": "周四", "en": "Thu"},
    "day.fri": {"zh-Hans": "周五", "en": "Fri"},
    "day.sat": {"zh-Hans": "周六", "en": "Sat"},
    "day.sun": {"zh-Hans": "周日", "en": "Sun"},
    "day.today": {"zh-Hans": "今天", "en": "today"},
    "day.tomorrow": {"zh-Hans": "明天", "en": "tomorrow"},
    # operator
    "operator.pin_title": {"zh-Hans": "工作人员入口", "en": "Staff only"},
    "operator.pin_prompt": {"zh-Hans": "请输入 PIN", "en": "Enter PIN"},
    "operator.pin_wrong": {"zh-Hans": "PIN 不正确", "en": "Wrong PIN"},
    "operator.cancel": {"zh-Hans": "取消", "en": "Cancel"},
    "operator.ok": {"zh-Hans": "确定", "en": "OK"},
    "operator.title": {"zh-Hans": "设备状态", "en": "Device status"},
    "operator.exit": {"zh-Hans": "退出应用", "en": "Exit the app"},
    "operator.done": {"zh-Hans": "返回导览", "en": "Back to the guide"},
    # routes, events, transport screens
    "routes.count": {"zh-Hans": "{n} 条线路", "en": "{n} routes"},
    "routes.none": {"zh-Hans": "暂时没有文化线路。", "en": "No cultural routes yet."},
    "routes.stops_heading": {"zh-Hans": "沿途站点", "en": "Stops on the way"},
    "routes.about": {"zh-Hans": "线路介绍", "en": "About this route"},
    "routes.qr_link": {"zh-Hans": "用手机扫码打开此线路", "en": "Scan to open this route on your phone"},
    "routes.qr_start": {"zh-Hans": "用手机扫码导航到第一站", "en": "Scan for directions to the first stop"},
    "routes.stop_missing": {"zh-Hans": "此站点暂无资料", "en": "No details for this stop yet"},
    "events.day_today": {"zh-Hans": "今天 · {date}", "en": "Today · {date}"},
    "events.day_tomorrow": {"zh-Hans": "明天 · {date}", "en": "Tomorrow · {date}"},
    "events.date": {"zh-Hans": "{month}{d}日 {weekday}", "en": "{weekday} {d} {month}"},
    "events.short_date": {"zh-Hans": "{month}{d}日", "en": "{d} {month}"},
    "events.on_now": {"zh-Hans": "正在进行", "en": "On now"},
    "events.count": {"zh-Hans": "{n} 场活动", "en": "{n} events"},
    "events.check": {
        "zh-Hans": "时间为常见安排，仅供参考，出发前请向场馆确认。",
        "en": "Times are a typical pattern only; check with the venue before you go.",
    },
    "month.1": {"zh-Hans": "1月", "en": "Jan"},
    "month.2": {"zh-Hans": "2月", "en": "Feb"},
    "month.3": {"zh-Hans": "3月", "en": "Mar"},
    "month.4": {"zh-Hans": "4月", "en": "Apr"},
    "month.5": {"zh-Hans": "5月", "en": "May"},
    "month.6": {"zh-Hans": "6月", "en": "Jun"},
    "month.7": {"zh-Hans": "7月", "en": "Jul"},
    "month.8": {"zh-Hans": "8月", "en": "Aug"},
    "month.9": {"zh-Hans": "9月", "en": "Sep"},
    "month.10": {"zh-Hans": "10月", "en": "Oct"},
    "month.11": {"zh-Hans": "11月", "en": "Nov"},
    "month.12": {"zh-Hans": "12月", "en": "Dec"},
    "transport.kind.other": {"zh-Hans": "其他交通", "en": "Other transport"},
    "transport.none": {"zh-Hans": "暂无交通信息。", "en": "No transport information yet."},
    "transport.sorted": {"zh-Hans": "每类按距本机远近排序", "en": "Nearest to this kiosk first in each group"},
    # pages, hotel room, operator screens
    "practical.kind.practical": {"zh-Hans": "旅行提示", "en": "Travel tips"},
    "practical.kind.station": {"zh-Hans": "车站信息", "en": "Station information"},
    "practical.kind.about": {"zh-Hans": "关于本机", "en": "About this kiosk"},
    "practical.none": {"zh-Hans": "暂无实用信息。", "en": "No practical information yet."},
    "hotel.nothing_open": {"zh-Hans": "附近暂时没有开放的地点。", "en": "Nothing nearby is open right now."},
    "hotel.no_events": {"zh-Hans": "今天没有更多活动了。", "en": "No more events today."},
    "hotel.transport": {"zh-Hans": "机场和火车站", "en": "Airport and stations"},
    "hotel.tap_more": {"zh-Hans": "轻触查看详情", "en": "Tap for details"},
    "hotel.tap_less": {"zh-Hans": "轻触收起", "en": "Tap to close"},
    "operator.pin_checking": {"zh-Hans": "正在核对……", "en": "Checking…"},
    "operator.pin_locked": {
        "zh-Hans": "错误次数过多，请 {n} 秒后再试。",
        "en": "Too many wrong tries. Try again in {n}\u00a0s.",
    },
    "operator.pin_not_set": {
        "zh-Hans": "本机未设置工作人员 PIN（kiosk.toml 中的 operator.pin_hash）。",
        "en": "No staff PIN is set on this kiosk (operator.pin_hash in kiosk.toml).",
    },
    "operator.section.kiosk": {"zh-Hans": "本机", "en": "This kiosk"},
    "operator.section.content": {"zh-Hans": "内容", "en": "Content"},
    "operator.section.config": {"zh-Hans": "配置", "en": "Configuration"},
    "operator.section.device": {"zh-Hans": "设备", "en": "Device"},
    "operator.name": {"zh-Hans": "名称", "en": "Name"},
    "operator.profile": {"zh-Hans": "类型", "en": "Profile"},
    "operator.timezone": {"zh-Hans": "时区", "en": "Time zone"},
    "operator.languages": {"zh-Hans": "语言", "en": "Languages"},
    "operator.location": {"zh-Hans": "位置", "en": "Location"},
    "operator.clock": {"zh-Hans": "本机时间", "en": "Clock"},
    "operator.pack": {"zh-Hans": "内容包", "en": "Pack"},
    "operator.content_version": {"zh-Hans": "内容版本", "en": "Content version"},
    "operator.installed_at": {"zh-Hans": "安装时间", "en": "Installed"},
    "operator.media_missing": {"zh-Hans": "缺失媒体文件", "en": "Missing media files"},
    "operator.count.venues": {"zh-Hans": "地点", "en": "places"},
    "operator.count.routes": {"zh-Hans": "线路", "en": "routes"},
    "operator.count.events": {"zh-Hans": "活动", "en": "events"},
    "operator.count.heritage": {"zh-Hans": "非遗项目", "en": "heritage items"},
    "operator.count.transport": {"zh-Hans": "交通条目", "en": "transport entries"},
    "operator.count.pages": {"zh-Hans": "信息页", "en": "pages"},
    "operator.count.notices": {"zh-Hans": "公告", "en": "notices"},
    "operator.count.themes": {"zh-Hans": "主题", "en": "themes"},
    "operator.count.media": {"zh-Hans": "媒体文件", "en": "media files"},
    "operator.config_file": {"zh-Hans": "配置文件", "en": "File"},
    "operator.config_none": {"zh-Hans": "无（全部使用默认值）", "en": "None (all defaults)"},
    "operator.no_problems": {"zh-Hans": "配置没有问题。", "en": "No configuration problems."},
    "operator.outbox": {"zh-Hans": "待上传", "en": "Waiting to upload"},
    "operator.trusted_keys": {"zh-Hans": "信任的签名密钥", "en": "Trusted signing keys"},
    "operator.installs": {"zh-Hans": "最近安装", "en": "Recent installs"},
    "operator.reading": {"zh-Hans": "正在读取……", "en": "Reading…"},
    "operator.no_installs": {"zh-Hans": "尚无安装记录", "en": "No installs logged"},
    "operator.read_error": {"zh-Hans": "无法读取：{error}", "en": "Cannot read: {error}"},
    "operator.none": {"zh-Hans": "无", "en": "None"},
    "operator.version_n": {"zh-Hans": "版本 {v}", "en": "version {v}"},
}


def missing_translations(languages: Sequence[str] = REQUIRED_LANGUAGES) -> list[str]:
    return [f"{key} [{lang}]" for key, texts in STRINGS.items() for lang in languages if not texts.get(lang)]


class Translator:
    """Looks up interface strings for one language, with the same fallback as content."""

    def __init__(
        self, lang: str, fallback: Sequence[str] = ("en", "zh-Hans"), table: Mapping[str, dict[str, str]] = STRINGS
    ):
        self.lang = lang
        self.fallback = tuple(fallback)
        self.table = table

    def __call__(self, key: str, **values: object) -> str:
        texts = self.table.get(key)
        if texts is None:
            raise KeyError(f"no interface string {key!r}")
        text = i18n.text(texts, self.lang, self.fallback)
        return text.format(**values) if values else text

    def content(self, texts: Mapping[str, str] | None) -> str:
        """Pack content in this language, falling back per field."""
        return i18n.text(texts, self.lang, self.fallback)

    @property
    def rtl(self) -> bool:
        return i18n.is_rtl(self.lang)
