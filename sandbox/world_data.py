"""Curated tables for the sandbox world: locations with their truth, names, technologies, text.

Every table is an ordered list so that generation is deterministic. Location rows carry the
truth an enrichment resolver is graded against, so a row is `resolvable` only when the string
names exactly one country to a careful human (a city counts when its largest namesake
dominates, e.g. "Paris" -> FR); anything debatable is marked not resolvable.
"""

from __future__ import annotations

from typing import NamedTuple


class Loc(NamedTuple):
    """One location string as users type it, with the truth behind it."""

    text: str | None  # None: the field is empty
    country: str | None  # ISO2 of the person's real country; None when it names no place
    resolvable: bool  # names exactly one country unambiguously
    weight: int  # relative frequency inside its bucket
    place: str | None = None  # rows sharing a place key are other spellings of the same place


T, F = True, False

EASTERN_EUROPE = {
    *("UA", "PL", "RO", "CZ", "SK", "HU", "BG", "RS", "HR", "SI", "BA", "MK", "AL", "ME"),
    *("MD", "BY", "RU", "LT", "LV", "EE"),
}
LATIN_AMERICA = {
    *("BR", "MX", "AR", "CO", "CL", "PE", "EC", "UY", "VE", "BO", "CR", "PY", "DO", "GT"),
    *("CU", "PA", "SV", "HN", "NI"),
}
FOCUS_REGIONS = {"eastern_europe": EASTERN_EUROPE, "india": {"IN"}, "latin_america": LATIN_AMERICA}


def region_of(country: str | None) -> str | None:
    """The focus region of a country (eastern_europe, india, latin_america) or None."""
    for region, members in FOCUS_REGIONS.items():
        if country in members:
            return region
    return None


_EE = [
    Loc("Kyiv", "UA", T, 8, "kyiv"), Loc("Kiev", "UA", T, 3, "kyiv"),
    Loc("Kyiv, Ukraine", "UA", T, 5, "kyiv"), Loc("Київ", "UA", T, 2, "kyiv"),
    Loc("Kyiv 🇺🇦", "UA", T, 1, "kyiv"), Loc("Ukraine", "UA", T, 4, "ua"),
    Loc("Україна", "UA", T, 2, "ua"), Loc("🇺🇦", "UA", T, 1, "ua"), Loc("Lviv", "UA", T, 3, "lviv"),
    Loc("Lviv, Ukraine", "UA", T, 2, "lviv"), Loc("Львів", "UA", T, 1, "lviv"),
    Loc("Kharkiv, Ukraine", "UA", T, 2, "kharkiv"), Loc("Kharkov", "UA", T, 1, "kharkiv"),
    Loc("Odesa, Ukraine", "UA", T, 1), Loc("Dnipro", "UA", T, 1),
    Loc("Warsaw", "PL", T, 4, "waw"), Loc("Warszawa", "PL", T, 2, "waw"),
    Loc("Warsaw, Poland", "PL", T, 3, "waw"), Loc("Kraków", "PL", T, 2, "krk"),
    Loc("Krakow, Poland", "PL", T, 2, "krk"), Loc("Cracow", "PL", T, 1, "krk"),
    Loc("Wrocław", "PL", T, 2, "wro"), Loc("Wroclaw, Poland", "PL", T, 1, "wro"),
    Loc("Gdańsk", "PL", T, 1), Loc("Poznań, Polska", "PL", T, 1), Loc("Łódź", "PL", T, 1),
    Loc("Poland", "PL", T, 3, "pl"), Loc("Polska", "PL", T, 2, "pl"), Loc("🇵🇱", "PL", T, 1, "pl"),
    Loc("Bucharest", "RO", T, 2, "buh"), Loc("București, România", "RO", T, 1, "buh"),
    Loc("Cluj-Napoca", "RO", T, 2), Loc("Iasi, Romania", "RO", T, 1), Loc("Romania", "RO", T, 2),
    Loc("Prague", "CZ", T, 2, "prg"), Loc("Praha", "CZ", T, 1, "prg"),
    Loc("Brno, Czech Republic", "CZ", T, 1), Loc("Czechia", "CZ", T, 1),
    Loc("Bratislava", "SK", T, 1), Loc("Slovakia", "SK", T, 1),
    Loc("Budapest", "HU", T, 2, "bud"), Loc("Budapest, Hungary", "HU", T, 1, "bud"),
    Loc("Magyarország", "HU", T, 1), Loc("Sofia, Bulgaria", "BG", T, 2, "sof"),
    Loc("София, България", "BG", T, 1, "sof"), Loc("Belgrade, Serbia", "RS", T, 2, "beg"),
    Loc("Beograd", "RS", T, 1, "beg"), Loc("Novi Sad", "RS", T, 1), Loc("Србија", "RS", T, 1),
    Loc("Zagreb", "HR", T, 1), Loc("Hrvatska", "HR", T, 1), Loc("Ljubljana", "SI", T, 1),
    Loc("Sarajevo", "BA", T, 1), Loc("Skopje", "MK", T, 1), Loc("Minsk", "BY", T, 2, "msq"),
    Loc("Минск", "BY", T, 1, "msq"), Loc("Belarus", "BY", T, 1), Loc("Беларусь", "BY", T, 1),
    Loc("Moscow", "RU", T, 3, "mow"), Loc("Moscow, Russia", "RU", T, 2, "mow"),
    Loc("Москва", "RU", T, 2, "mow"), Loc("Saint Petersburg, Russia", "RU", T, 2, "led"),
    Loc("Санкт-Петербург", "RU", T, 1, "led"), Loc("Novosibirsk", "RU", T, 1),
    Loc("Russia", "RU", T, 2, "ru"), Loc("Россия", "RU", T, 1, "ru"),
    Loc("Vilnius, Lithuania", "LT", T, 1), Loc("Riga, Latvia", "LV", T, 1),
    Loc("Tallinn", "EE", T, 1), Loc("Chișinău, Moldova", "MD", T, 1),
]  # fmt: skip
_INDIA = [
    Loc("Bangalore", "IN", T, 8, "blr"), Loc("Bengaluru", "IN", T, 6, "blr"),
    Loc("Bengaluru, Karnataka", "IN", T, 3, "blr"), Loc("Bangalore, India", "IN", T, 6, "blr"),
    Loc("Pune", "IN", T, 3, "pnq"), Loc("Pune, India", "IN", T, 2, "pnq"),
    Loc("Pune, Maharashtra", "IN", T, 3, "pnq"),
    Loc("Mumbai", "IN", T, 4, "bom"), Loc("Mumbai, India", "IN", T, 2, "bom"),
    Loc("Bombay", "IN", T, 1, "bom"), Loc("मुंबई", "IN", T, 1, "bom"),
    Loc("New Delhi", "IN", T, 4, "del"), Loc("Delhi, India", "IN", T, 2, "del"),
    Loc("नई दिल्ली", "IN", T, 1, "del"), Loc("Delhi NCR", "IN", T, 1, "del"),
    Loc("Gurgaon", "IN", T, 2, "ggn"), Loc("Gurugram, Haryana", "IN", T, 1, "ggn"),
    Loc("Noida", "IN", T, 2, "noi"), Loc("Noida, Uttar Pradesh", "IN", T, 1, "noi"),
    Loc("Hyderabad, Telangana", "IN", T, 3, "hyd"), Loc("Hyderabad, India", "IN", T, 2, "hyd"),
    Loc("Chennai", "IN", T, 3, "maa"), Loc("Chennai, Tamil Nadu, India", "IN", T, 1, "maa"),
    Loc("Kolkata", "IN", T, 2, "ccu"), Loc("Chennai, India", "IN", T, 2, "maa"),
    Loc("Calcutta", "IN", T, 1, "ccu"),
    Loc("Ahmedabad, Gujarat", "IN", T, 1), Loc("Jaipur", "IN", T, 1),
    Loc("Kochi, Kerala", "IN", T, 1), Loc("Trivandrum", "IN", T, 1), Loc("Indore", "IN", T, 1),
    Loc("Bhubaneswar", "IN", T, 1), Loc("India", "IN", T, 12, "in"), Loc("भारत", "IN", T, 2, "in"),
    Loc("🇮🇳", "IN", T, 1, "in"), Loc("INDIA", "IN", T, 1, "in"), Loc("Bharat", "IN", T, 1, "in"),
]  # fmt: skip
_LATAM = [
    Loc("São Paulo", "BR", T, 4, "sao"), Loc("Sao Paulo, Brazil", "BR", T, 3, "sao"),
    Loc("São Paulo - SP", "BR", T, 1, "sao"), Loc("Rio de Janeiro", "BR", T, 2),
    Loc("Belo Horizonte, MG", "BR", T, 1), Loc("Florianópolis", "BR", T, 1),
    Loc("Recife, PE", "BR", T, 1), Loc("Curitiba - PR", "BR", T, 1),
    Loc("Porto Alegre, RS", "BR", T, 1), Loc("Brasil", "BR", T, 3, "br"),
    Loc("Brazil", "BR", T, 3, "br"), Loc("🇧🇷", "BR", T, 1, "br"),
    Loc("Mexico City", "MX", T, 3, "mex"), Loc("Ciudad de México", "MX", T, 2, "mex"),
    Loc("CDMX", "MX", T, 1, "mex"), Loc("Guadalajara, Jalisco", "MX", T, 2),
    Loc("Monterrey, N.L.", "MX", T, 1), Loc("México", "MX", T, 2, "mx"),
    Loc("Mexico", "MX", T, 2, "mx"), Loc("Buenos Aires", "AR", T, 3, "bue"),
    Loc("Buenos Aires, Argentina", "AR", T, 2, "bue"), Loc("Rosario, Argentina", "AR", T, 1),
    Loc("Argentina", "AR", T, 2), Loc("Bogotá", "CO", T, 2, "bog"),
    Loc("Bogota, Colombia", "CO", T, 2, "bog"), Loc("Medellín", "CO", T, 2, "mde"),
    Loc("Medellin, Colombia", "CO", T, 1, "mde"), Loc("Colombia", "CO", T, 1),
    Loc("Santiago, Chile", "CL", T, 2), Loc("Chile", "CL", T, 1),
    Loc("Lima, Peru", "PE", T, 2, "lim"), Loc("Lima, Perú", "PE", T, 1, "lim"),
    Loc("Quito, Ecuador", "EC", T, 1), Loc("Montevideo", "UY", T, 1),
    Loc("Caracas, Venezuela", "VE", T, 1), Loc("La Paz, Bolivia", "BO", T, 1),
    Loc("San José, Costa Rica", "CR", T, 1), Loc("Asunción, Paraguay", "PY", T, 1),
    Loc("Santo Domingo, República Dominicana", "DO", T, 1),
]  # fmt: skip
_WORLD = [
    Loc("San Francisco, CA", "US", T, 3, "sfo"), Loc("San Francisco Bay Area", "US", T, 2, "sfo"),
    Loc("Seattle, WA", "US", T, 2, "sea"), Loc("Seattle", "US", T, 1, "sea"),
    Loc("New York, NY", "US", T, 2, "nyc"), Loc("New York", "US", T, 2, "nyc"),
    Loc("NYC", "US", T, 1, "nyc"), Loc("Brooklyn, NY", "US", T, 1), Loc("Austin, TX", "US", T, 2),
    Loc("Atlanta, GA", "US", T, 1), Loc("Boston, MA", "US", T, 2), Loc("Chicago, IL", "US", T, 1),
    Loc("Mountain View, CA", "US", T, 1), Loc("Pittsburgh, PA", "US", T, 1),
    Loc("Upland IN", "US", T, 1), Loc("Paris, TX", "US", T, 1), Loc("California", "US", T, 1),
    Loc("USA", "US", T, 3, "us"), Loc("United States", "US", T, 2, "us"),
    Loc("Toronto", "CA", T, 2, "yyz"), Loc("Toronto, ON", "CA", T, 1, "yyz"),
    Loc("Montréal, QC", "CA", T, 1), Loc("Vancouver, BC", "CA", T, 1),
    Loc("London, Ontario", "CA", T, 1), Loc("Canada", "CA", T, 1),
    Loc("Berlin", "DE", T, 3, "ber"), Loc("Berlin, Germany", "DE", T, 2, "ber"),
    Loc("Munich", "DE", T, 1, "muc"), Loc("München", "DE", T, 1, "muc"), Loc("Hamburg", "DE", T, 1),
    Loc("Köln", "DE", T, 1), Loc("Germany", "DE", T, 2, "de"), Loc("Deutschland", "DE", T, 1, "de"),
    Loc("🇩🇪", "DE", T, 1, "de"), Loc("London", "GB", T, 3, "lon"),
    Loc("London, UK", "GB", T, 2, "lon"), Loc("London, England", "GB", T, 1, "lon"),
    Loc("Manchester, UK", "GB", T, 1), Loc("Edinburgh, Scotland", "GB", T, 1),
    Loc("United Kingdom", "GB", T, 1, "gb"), Loc("UK", "GB", T, 1, "gb"),
    Loc("Paris", "FR", T, 2, "par"), Loc("Paris, France", "FR", T, 1, "par"),
    Loc("Lyon", "FR", T, 1), Loc("France", "FR", T, 1), Loc("Beijing", "CN", T, 2, "pek"),
    Loc("北京", "CN", T, 1, "pek"), Loc("Beijing, China", "CN", T, 1, "pek"),
    Loc("Shanghai", "CN", T, 2, "sha"), Loc("上海", "CN", T, 1, "sha"), Loc("Shenzhen", "CN", T, 1),
    Loc("Hangzhou, China", "CN", T, 1), Loc("China", "CN", T, 1, "cn"),
    Loc("中国", "CN", T, 1, "cn"),
    Loc("Lagos, Nigeria", "NG", T, 2, "los"), Loc("Lagos", "NG", T, 1, "los"),
    Loc("Abuja", "NG", T, 1), Loc("Nigeria", "NG", T, 1), Loc("Nairobi, Kenya", "KE", T, 1),
    Loc("Accra, Ghana", "GH", T, 1), Loc("Cairo, Egypt", "EG", T, 1, "cai"),
    Loc("القاهرة", "EG", T, 1, "cai"), Loc("مصر", "EG", T, 1), Loc("Addis Ababa", "ET", T, 1),
    Loc("Cape Town", "ZA", T, 1), Loc("Johannesburg, South Africa", "ZA", T, 1),
    Loc("Istanbul", "TR", T, 1), Loc("Türkiye", "TR", T, 1), Loc("Tehran, Iran", "IR", T, 1),
    Loc("Dubai, UAE", "AE", T, 1), Loc("Riyadh", "SA", T, 1), Loc("Tel Aviv", "IL", T, 1),
    Loc("Karachi, Pakistan", "PK", T, 1), Loc("Lahore", "PK", T, 1),
    Loc("Dhaka, Bangladesh", "BD", T, 1), Loc("Singapore", "SG", T, 2),
    Loc("Tokyo", "JP", T, 1, "tyo"), Loc("東京", "JP", T, 1, "tyo"),
    Loc("Seoul, South Korea", "KR", T, 1, "sel"), Loc("서울", "KR", T, 1, "sel"),
    Loc("Taipei", "TW", T, 1), Loc("Ho Chi Minh City", "VN", T, 1),
    Loc("Hà Nội, Việt Nam", "VN", T, 1), Loc("Jakarta, Indonesia", "ID", T, 1),
    Loc("Manila, Philippines", "PH", T, 1), Loc("Sydney, NSW", "AU", T, 1),
    Loc("Melbourne, Australia", "AU", T, 1), Loc("Auckland, New Zealand", "NZ", T, 1),
    Loc("Amsterdam", "NL", T, 2), Loc("Madrid, Spain", "ES", T, 1), Loc("Barcelona", "ES", T, 1),
    Loc("Lisbon, Portugal", "PT", T, 1), Loc("Stockholm", "SE", T, 1), Loc("Zürich", "CH", T, 1),
    Loc("Dublin, Ireland", "IE", T, 1), Loc("Milano, Italia", "IT", T, 1),
    Loc("Helsinki", "FI", T, 1), Loc("Vienna, Austria", "AT", T, 1),
    Loc("Kuala Lumpur", "MY", T, 1),
]  # fmt: skip
# Strings that name no single country: namesakes, several places, regions, "Remote". The
# country is the person's real one, which the string alone cannot tell.
_AMBIGUOUS = [
    Loc("Georgia", "GE", F, 2), Loc("Georgia", "US", F, 2), Loc("Hamilton", "CA", F, 1),
    Loc("Hamilton", "NZ", F, 1), Loc("Cambridge", "GB", F, 1), Loc("Cambridge", "US", F, 1),
    Loc("Córdoba", "AR", F, 1), Loc("Cordoba", "ES", F, 1), Loc("Valencia", "ES", F, 1),
    Loc("Valencia", "VE", F, 1), Loc("Punjab", "IN", F, 1), Loc("Punjab", "PK", F, 1),
    Loc("Hyderabad", "IN", F, 2), Loc("Hyderabad", "PK", F, 1), Loc("Cali", "CO", F, 1),
    Loc("Victoria", "CA", F, 1), Loc("Victoria", "AU", F, 1), Loc("Santiago", "CL", F, 1),
    Loc("Kingston", "JM", F, 1), Loc("Kingston", "CA", F, 1), Loc("Perth", "AU", F, 1),
    Loc("Perth", "GB", F, 1), Loc("San Jose", "US", F, 1), Loc("San José", "CR", F, 1),
    Loc("Alexandria", "EG", F, 1), Loc("Alexandria", "US", F, 1), Loc("Mérida", "MX", F, 1),
    Loc("Kyiv -> Berlin", "DE", F, 1), Loc("Bangalore | Singapore", "IN", F, 1),
    Loc("Warsaw / Remote", "PL", F, 1), Loc("São Paulo / Lisboa", "BR", F, 1),
    Loc("Kraków & Berlin", "PL", F, 1), Loc("London, UK / Lagos, NG", "GB", F, 1),
    Loc("Pune → Amsterdam", "NL", F, 1), Loc("Moscow → Tbilisi", "GE", F, 1),
    Loc("Remote", "US", F, 2), Loc("Remote", "IN", F, 2), Loc("Remote", "UA", F, 1),
    Loc("Remote", "BR", F, 1), Loc("Remote (EU)", "RO", F, 1), Loc("Worldwide", "PL", F, 1),
    Loc("Anywhere", "AR", F, 1), Loc("Europe", "CZ", F, 1), Loc("Eastern Europe", "UA", F, 1),
    Loc("LATAM", "CO", F, 1), Loc("South Asia", "IN", F, 1),
]  # fmt: skip
_NOWHERE = [
    Loc(None, None, F, 10), Loc("", None, F, 2), Loc("Earth", None, F, 2),
    Loc("Planet Earth", None, F, 1), Loc("localhost", None, F, 1), Loc("127.0.0.1", None, F, 1),
    Loc("The Internet", None, F, 1), Loc("Mars", None, F, 1), Loc("🌍", None, F, 1),
    Loc("/dev/null", None, F, 1), Loc("Somewhere", None, F, 1), Loc("In the cloud ☁️", None, F, 1),
]  # fmt: skip

# (bucket, share of people, rows): the three focus regions get ~60% of people.
LOCATION_BUCKETS: list[tuple[str, float, list[Loc]]] = [
    ("eastern_europe", 0.22, _EE),
    ("india", 0.20, _INDIA),
    ("latin_america", 0.17, _LATAM),
    ("world", 0.30, _WORLD),
    ("ambiguous", 0.05, _AMBIGUOUS),
    ("nowhere", 0.06, _NOWHERE),
]
ALL_LOCATIONS: list[Loc] = [loc for _, _, rows in LOCATION_BUCKETS for loc in rows]

# Name cultures: given names and family names. "native|latin" where the script is not Latin;
# Latin-script entries keep their diacritics and are folded to ASCII for handles.
_N: dict[str, tuple[str, str]] = {
    "uk": (
        "Олександр|Oleksandr Андрій|Andrii Дмитро|Dmytro Тарас|Taras Оксана|Oksana Ірина|Iryna "
        "Богдан|Bohdan Юлія|Yuliia Максим|Maksym Наталія|Nataliia Сергій|Serhii Олена|Olena",
        "Коваленко|Kovalenko Шевченко|Shevchenko Бондаренко|Bondarenko Ткаченко|Tkachenko "
        "Мельник|Melnyk Кравченко|Kravchenko Олійник|Oliinyk Лисенко|Lysenko Гриценко|Hrytsenko "
        "Савченко|Savchenko Руденко|Rudenko Марченко|Marchenko",
    ),
    "ru": (
        "Алексей|Alexey Дмитрий|Dmitry Иван|Ivan Мария|Maria Анна|Anna Сергей|Sergey "
        "Никита|Nikita Екатерина|Ekaterina Павел|Pavel Ольга|Olga Артём|Artem Татьяна|Tatiana",
        "Иванов|Ivanov Смирнов|Smirnov Кузнецов|Kuznetsov Попов|Popov Соколов|Sokolov "
        "Лебедев|Lebedev Козлов|Kozlov Новиков|Novikov Морозов|Morozov Волков|Volkov "
        "Федоров|Fedorov Михайлов|Mikhailov",
    ),
    "bg": (
        "Георги|Georgi Иван|Ivan Димитър|Dimitar Мария|Maria Елена|Elena Николай|Nikolay",
        "Иванов|Ivanov Георгиев|Georgiev Димитров|Dimitrov Петрова|Petrova Николов|Nikolov",
    ),
    "pl": (
        "Łukasz Michał Paweł Katarzyna Agnieszka Tomasz Piotr Magdalena Krzysztof Małgorzata "
        "Jakub Zofia Wojciech Anna",
        "Wiśniewski Kowalski Nowak Wójcik Kamińska Lewandowski Zieliński Szymański Woźniak "
        "Dąbrowski Kozłowska Jankowski Mazur",
    ),
    "ro": (
        "Andrei Ioana Mihai Elena Alexandru Cristina Ștefan Răzvan",
        "Popescu Ionescu Popa Stoica Dumitrescu Constantinescu Stănescu Munteanu",
    ),
    "cs": (
        "Jiří Tomáš Petra Lucie Martin Jan Zuzana Lukáš Kateřina",
        "Novák Svoboda Dvořák Černý Procházka Kučerová Veselý Horváth Krejčí",
    ),
    "hu": (
        "Bence Zsófia Gábor Péter Eszter Ádám Réka",
        "Nagy Kovács Tóth Szabó Horváth Varga Kiss",
    ),
    "sr": (
        "Marko Stefan Nikola Jelena Milica Luka Ana Ivana Filip",
        "Jovanović Petrović Nikolić Marković Đorđević Kovačević Horvat Babić Novak",
    ),
    "baltic": (
        "Jonas Andris Kristjan Laura Rūta Mārtiņš Liis",
        "Kazlauskas Bērziņš Tamm Saar Ozols Petrauskas",
    ),
    "in": (
        "राहुल|Rahul प्रिया|Priya अमित|Amit अंकित|Ankit नेहा|Neha विकास|Vikas आदित्य|Aditya "
        "पूजा|Pooja अर्जुन|Arjun सौरभ|Saurabh कविता|Kavita रोहन|Rohan श्रेया|Shreya "
        "அருண்|Arun கார்த்திக்|Karthik ஸ்ரீனிவாசன்|Srinivasan अभिषेक|Abhishek",
        "शर्मा|Sharma वर्मा|Verma गुप्ता|Gupta सिंह|Singh कुमार|Kumar पटेल|Patel "
        "जोशी|Joshi अग्रवाल|Agarwal रेड्डी|Reddy नायर|Nair अय्यर|Iyer मिश्रा|Mishra "
        "राव|Rao चौधरी|Chaudhary देशपांडे|Deshpande बनर्जी|Banerjee",
    ),
    "es": (
        "José María Sebastián Valentina Andrés Camila Martín Lucía Diego Sofía Alejandro "
        "Mateo Daniela Javier",
        "García Rodríguez Martínez López González Hernández Pérez Sánchez Ramírez Torres "
        "Flores Gómez Díaz Muñoz Vargas",
    ),
    "pt": (
        "João Gonçalo Lucas Mariana Beatriz Rafael Thiago Fernanda Gabriel Letícia Felipe",
        "Silva Santos Oliveira Souza Gonçalves Pereira Costa Rodrigues Almeida Araújo Conceição",
    ),
    "en": (
        "Alex James Emily Michael Sarah David Jessica Chris Ashley Ryan Megan Kevin Laura Brian "
        "Olivia Daniel",
        "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
        "Clark Lewis Walker Young",
    ),
    "de": (
        "Lukas Jonas Lena Felix Jürgen Anna Maximilian Sophie Tobias Katrin",
        "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schäfer Hoffmann",
    ),
    "fr": (
        "Léa Hugo Chloé Théo Camille Louis Manon Clément",
        "Martin Bernard Dubois Lefèvre Moreau Laurent Girard Rousseau",
    ),
    "zh": (
        "伟|Wei 芳|Fang 娜|Na 敏|Min 静|Jing 磊|Lei 洋|Yang 杰|Jie 婷|Ting 浩|Hao 鑫|Xin",
        "王|Wang 李|Li 张|Zhang 刘|Liu 陈|Chen 杨|Yang 黄|Huang 赵|Zhao 吴|Wu 周|Zhou 徐|Xu",
    ),
    "ja": (
        "翔|Sho 陽菜|Hina 大輝|Daiki 結衣|Yui 健太|Kenta 美咲|Misaki",
        "佐藤|Sato 鈴木|Suzuki 高橋|Takahashi 田中|Tanaka 伊藤|Ito 渡辺|Watanabe",
    ),
    "ko": (
        "민준|Minjun 서연|Seoyeon 지훈|Jihoon 하은|Haeun 현우|Hyunwoo",
        "김|Kim 이|Lee 박|Park 최|Choi 정|Jung",
    ),
    "ar": (
        "محمد|Mohamed أحمد|Ahmed عمر|Omar فاطمة|Fatima يوسف|Youssef مريم|Mariam خالد|Khaled "
        "سارة|Sara",
        "علي|Ali حسن|Hassan إبراهيم|Ibrahim عبدالله|Abdullah سعيد|Saeed منصور|Mansour "
        "الحسيني|Elhosseiny",
    ),
    "fa": (
        "علی|Ali رضا|Reza سارا|Sara مهدی|Mahdi نگار|Negar",
        "محمدی|Mohammadi حسینی|Hosseini کریمی|Karimi رضایی|Rezaei",
    ),
    "he": ("נועה|Noa יונתן|Yonatan איתי|Itai", "כהן|Cohen לוי|Levi מזרחי|Mizrahi"),
    "tr": ("Emre Zeynep Mehmet Elif Burak Ayşe", "Yılmaz Kaya Demir Şahin Çelik Öztürk"),
    "ng": (
        "Chinedu Oluwaseun Ngozi Emeka Aisha Tunde Adaeze Kwame Wanjiru Tolulope",
        "Okafor Adeyemi Okonkwo Balogun Mensah Eze Nwosu Kamau Abubakar Ogunleye",
    ),
    "vi": ("Minh Anh Huy Thảo Tuấn Linh", "Nguyễn Trần Lê Phạm"),
    "id": ("Budi Siti Agus Dewi Rizky Putri", "Santoso Wijaya Saputra Hidayat Pratama Kusuma"),
    "ur": (
        "Ahmed Ayesha Usman Hamza Zainab Bilal Farhan Nusrat",
        "Khan Malik Hussain Qureshi Chowdhury Rahman Butt Islam",
    ),
    "nl": (
        "Daan Sanne Bram Fleur Sven Ingrid Erik Astrid",
        "de Vries Jansen Bakker Andersson Nielsen",
    ),
}
NAME_CULTURES: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {}
for _culture, (_given, _family) in _N.items():
    pairs: list[list[tuple[str, str]]] = []
    for blob in (_given, _family):
        # "de Vries" is one family name: split on spaces only between entries of native|latin.
        items = blob.replace("de Vries", "de_Vries").split()
        pairs.append(
            [(i.split("|")[0].replace("_", " "), i.split("|")[-1].replace("_", " ")) for i in items]
        )
    NAME_CULTURES[_culture] = (pairs[0], pairs[1])
FAMILY_FIRST = {"zh", "ja", "ko", "vi"}  # native order puts the family name first

COUNTRY_CULTURE = {
    "UA": "uk", "RU": "ru", "BY": "ru", "MD": "ro", "BG": "bg", "MK": "bg", "PL": "pl", "RO": "ro",
    "CZ": "cs", "SK": "cs", "HU": "hu", "RS": "sr", "HR": "sr", "SI": "sr", "BA": "sr", "ME": "sr",
    "AL": "sr", "LT": "baltic", "LV": "baltic", "EE": "baltic", "IN": "in", "BR": "pt", "PT": "pt",
    "DE": "de", "AT": "de", "CH": "de", "FR": "fr", "CN": "zh", "TW": "zh", "SG": "zh", "JP": "ja",
    "KR": "ko", "EG": "ar", "SA": "ar", "AE": "ar", "IR": "fa", "IL": "he", "TR": "tr", "NG": "ng",
    "GH": "ng", "KE": "ng", "ET": "ng", "ZA": "en", "VN": "vi", "ID": "id", "MY": "id", "PH": "es",
    "PK": "ur", "BD": "ur", "NL": "nl", "SE": "nl", "FI": "nl", "GE": "ru", "JM": "en",
}  # fmt: skip
for _c in LATIN_AMERICA | {"ES"}:
    COUNTRY_CULTURE.setdefault(_c, "es")

# Technologies: (display name, GitHub topic, usual language).
ML_TECH = [
    ("PyTorch", "pytorch", "Python"), ("TensorFlow", "tensorflow", "Python"),
    ("Keras", "keras", "Python"), ("JAX", "jax", "Python"),
    ("scikit-learn", "scikit-learn", "Python"), ("Hugging Face", "huggingface", "Python"),
    ("LangChain", "langchain", "Python"), ("LLMs", "llm", "Python"),
    ("XGBoost", "xgboost", "Jupyter Notebook"), ("OpenCV", "opencv", "C++"),
]  # fmt: skip
MLOPS_TECH = [
    ("MLflow", "mlflow", "Python"), ("Kubeflow", "kubeflow", "Python"), ("DVC", "dvc", "Python"),
    ("BentoML", "bentoml", "Python"), ("KServe", "kserve", "Go"),
    ("Seldon Core", "seldon-core", "Python"), ("Ray", "ray", "Python"),
    ("Weights & Biases", "wandb", "Python"), ("ONNX", "onnx", "C++"),
    ("Triton Inference Server", "triton-inference-server", "Python"),
    ("Airflow", "airflow", "Python"), ("Delta Lake", "delta-lake", "Scala"),
    ("Spark", "apache-spark", "Scala"), ("Kafka", "kafka", "Java"), ("dbt", "dbt", "Python"),
    ("SageMaker", "sagemaker", "Python"), ("Vertex AI", "vertex-ai", "Python"),
    ("Azure ML", "azure-machine-learning", "Python"),
]  # fmt: skip
ML_TOPICS = [
    "machine-learning", "deep-learning", "computer-vision", "nlp", "data-science",
    "neural-network", "transformers", "generative-ai", "reinforcement-learning",
]  # fmt: skip
MLOPS_TOPICS = [
    "mlops", "model-serving", "kubernetes", "data-engineering", "feature-store", "ml-pipelines",
    "docker", "terraform",
]  # fmt: skip
ML_THINGS = [
    "image-classifier", "sentiment-analysis", "object-detection", "text-summarizer",
    "recommender", "time-series-forecasting", "gan-experiments", "rag-chatbot", "fine-tuning",
    "segmentation", "speech-recognition", "tabular-benchmarks", "anomaly-detection",
]  # fmt: skip
MLOPS_THINGS = [
    "pipeline", "serving", "feature-store", "model-registry", "deployment", "training-platform",
    "monitoring", "ci-cd", "inference-service", "batch-scoring", "drift-detection", "infra",
]  # fmt: skip
ML_SO_TAGS = [
    "pytorch", "tensorflow", "keras", "scikit-learn", "machine-learning", "deep-learning",
    "huggingface-transformers", "langchain", "large-language-model", "pandas",
]  # fmt: skip
MLOPS_SO_TAGS = [
    "mlflow", "kubeflow", "airflow", "apache-spark", "amazon-sagemaker",
    "google-cloud-vertex-ai", "azure-machine-learning", "onnx", "dvc", "ray",
]  # fmt: skip
GENERAL_SO_TAGS = ["python", "java", "c++", "javascript", "sql"]

GENERAL_REPOS = [
    "dotfiles", "portfolio", "todo-app", "blog", "website", "leetcode", "advent-of-code",
    "chat-app", "weather-app", "cli-tools", "homelab", "notes", "algorithms", "react-dashboard",
    "spring-boot-api", "django-shop", "go-microservice", "rust-playground", "android-app",
    "snake-game", "resume", "scripts", "vim-config", "discord-bot", "telegram-bot", "crud-api",
    "landing-page", "kotlin-demo", "hello-world", "game-of-life",
]  # fmt: skip
GENERAL_LANGUAGES = [
    "JavaScript", "TypeScript", "Java", "Python", "Go", "C++", "C#", "PHP", "Ruby", "Rust",
    "Kotlin", "Swift", "Shell", "HTML", "C", "Dart", "Vue", "Lua",
]  # fmt: skip
GENERAL_TOPICS = ["react", "django", "spring-boot", "golang", "android", "cli", "hacktoberfest"]
# Popular ML repositories people fork to follow a course: (name, language, description, topics).
TUTORIAL_REPOS = [
    ("examples", "Python", "A set of examples around pytorch in Vision, Text, RL", ["pytorch"]),
    ("models", "Python", "Models and examples built with TensorFlow", ["tensorflow"]),
    ("transformers", "Python", "State-of-the-art Machine Learning for JAX, PyTorch and TensorFlow",
     ["nlp", "pytorch", "transformers"]),
    ("handson-ml2", "Jupyter Notebook", "Fundamentals of Machine Learning and Deep Learning",
     ["machine-learning"]),
    ("d2l-en", "Python", "Interactive deep learning book", ["deep-learning"]),
    ("fastbook", "Jupyter Notebook", "The fastai book", ["deep-learning"]),
    ("ML-For-Beginners", "Jupyter Notebook", "12 weeks, 26 lessons, 52 quizzes, classic ML",
     ["machine-learning", "scikit-learn"]),
    ("Made-With-ML", "Jupyter Notebook", "Learn how to develop, deploy and iterate on ML apps",
     ["mlops", "machine-learning"]),
    ("mlops-zoomcamp", "Jupyter Notebook", "Free MLOps course", ["mlops", "mlflow"]),
    ("keras-io", "Python", "Keras documentation and examples", ["keras"]),
    ("homemade-machine-learning", "Jupyter Notebook", "ML algorithms implemented in Python",
     ["machine-learning"]),
]  # fmt: skip
STAR_FARM_NAMES = [
    "awesome-ai-tools", "chatgpt-prompts", "free-gpt4", "ai-money-maker", "best-llm-list",
    "crypto-ai-bot", "deepfake-studio", "ai-resume-builder", "gpt-wrapper", "midjourney-free",
]  # fmt: skip
AUTOMATED_NAMES = ["daily-commit", "auto-commit", "contribution-graph", "green-squares", "streak"]

COMPANIES = [
    "Google", "@microsoft", "EPAM Systems", "SoftServe", "GlobalLogic", "Infosys", "TCS",
    "Wipro", "Flipkart", "Nubank", "Mercado Libre", "Globant", "Yandex", "Allegro",
    "Grammarly", "@huggingface", "Freelance", "University of Warsaw", "IIT Bombay",
    "Self-employed", "Amazon", "Thoughtworks", "N-iX", "Luxoft", "Zoho",
]  # fmt: skip
ORG_WORDS = [
    "acme", "deep", "vision", "data", "open", "neural", "cloud", "lab", "labs", "ai", "ml",
    "research", "stack", "forge", "works", "studio", "team", "collective", "hub", "systems",
]  # fmt: skip
BOT_WORDS = ["ci", "deploy", "release", "lint", "ml", "docs", "sync", "triage", "stale", "label"]
GENERAL_BIOS = [
    "Software engineer", "Full-stack developer. Coffee ☕", "Student", "Backend dev | Go | k8s",
    "Frontend engineer, React & TypeScript", "Java developer", "Open source enthusiast",
    "Programista", "Desarrollador de software", "Розробник програмного забезпечення",
    "सॉफ्टवेयर इंजीनियर", "Desenvolvedor back-end", "Hobbyist",
]  # fmt: skip
ML_BIOS = [
    "ML engineer working on {tech}", "Deep learning · {tech} · computer vision",
    "Data scientist", "Research engineer, NLP and {tech}", "Kaggler and {tech} fan",
    "Інженер з машинного навчання", "Cientista de dados | {tech}", "Ingeniero de ML",
    "मशीन लर्निंग इंजीनियर",
]  # fmt: skip
MLOPS_BIOS = [
    "MLOps engineer: {tech}, Kubernetes", "Building ML platforms with {tech}",
    "Data engineer | {tech} | Airflow", "Platform engineer for model serving ({tech})",
    "ML infrastructure", "Ingeniero MLOps · {tech}",
]  # fmt: skip
