"""Word lists for synthetic people, organizations and places.

Plain tuples (not sets) so that random choices are reproducible across runs.
Names are common US given names and surnames; nothing here is a real client.
"""
from __future__ import annotations

FEMALE_FIRST: tuple[str, ...] = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
    "Sarah", "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly",
    "Emily", "Donna", "Michelle", "Carol", "Amanda", "Dorothy", "Melissa", "Deborah",
    "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia", "Kathleen", "Amy", "Angela",
    "Shirley", "Anna", "Brenda", "Pamela", "Emma", "Nicole", "Helen", "Samantha",
    "Katherine", "Christine", "Debra", "Rachel", "Carolyn", "Janet", "Catherine", "Maria",
    "Heather", "Diane", "Ruth", "Julie", "Olivia", "Joyce", "Virginia", "Victoria", "Kelly",
    "Lauren", "Christina", "Joan", "Evelyn", "Judith", "Megan", "Andrea", "Cheryl", "Hannah",
    "Jacqueline", "Martha", "Gloria", "Teresa", "Ann", "Sara", "Madison", "Frances",
    "Kathryn", "Janice", "Jean", "Abigail", "Alice", "Judy", "Sophia", "Grace", "Denise",
    "Amber", "Doris", "Marilyn", "Danielle", "Beverly", "Isabella", "Theresa", "Diana",
    "Natalie", "Brittany", "Charlotte", "Marie", "Kayla", "Alexis", "Lori", "Tamika",
    "Keisha", "Latoya", "Guadalupe", "Rosa", "Ana", "Yesenia", "Mei", "Aaliyah", "Destiny",
    "Jasmine", "Imani", "Ximena", "Valeria", "Fatima", "Leilani", "Winona", "Dakota",
)

MALE_FIRST: tuple[str, ...] = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Christopher", "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven",
    "Andrew", "Paul", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald",
    "Jason", "Edward", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan",
    "Stephen", "Larry", "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory",
    "Alexander", "Patrick", "Frank", "Raymond", "Jack", "Dennis", "Jerry", "Tyler", "Aaron",
    "Jose", "Adam", "Nathan", "Henry", "Zachary", "Douglas", "Peter", "Kyle", "Noah",
    "Ethan", "Jeremy", "Walter", "Christian", "Keith", "Roger", "Terry", "Austin", "Sean",
    "Gerald", "Carl", "Harold", "Dylan", "Arthur", "Lawrence", "Jordan", "Jesse", "Bryan",
    "Billy", "Bruce", "Gabriel", "Joe", "Logan", "Alan", "Juan", "Albert", "Willie", "Elijah",
    "Wayne", "Randy", "Vincent", "Mason", "Roy", "Ralph", "Bobby", "Russell", "Bradley",
    "Philip", "Eugene", "Darnell", "DeShawn", "Jamal", "Tyrone", "Luis", "Carlos", "Miguel",
    "Jesus", "Wei", "Hiroshi", "Mohammed", "Omar", "Malik", "Andre", "Marcus", "Terrell",
)

LAST: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
    "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips",
    "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart",
    "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan",
    "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward",
    "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza",
    "Ruiz", "Hughes", "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long",
    "Ross", "Foster", "Jimenez", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell",
    "Coleman", "Butler", "Henderson", "Barnes", "Gonzales", "Fisher", "Vasquez", "Simmons",
    "Romero", "Jordan", "Patterson", "Alexander", "Hamilton", "Graham", "Reynolds", "Griffin",
    "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson", "Ellis",
    "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens",
    "Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas",
    "Henry", "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson",
    "Simpson", "Porter", "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason",
    "Dixon", "Munoz", "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black", "Robertson",
    "Boyd", "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt",
    "Begay", "Yazzie", "Tsosie", "Okafor", "Haddad", "Nakamura", "O'Brien", "St. Clair",
)

SUFFIXES: tuple[str, ...] = ("Jr", "Sr", "II", "III", "IV")

#: Formal given name -> nicknames people give at intake (for duplicate records).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy", "Liam"), "Robert": ("Bob", "Rob", "Bobby"),
    "Richard": ("Rick", "Dick", "Rich"), "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Jack", "Johnny"), "Michael": ("Mike", "Mikey"), "David": ("Dave", "Davey"),
    "Joseph": ("Joe", "Joey"), "Thomas": ("Tom", "Tommy"), "Christopher": ("Chris", "Topher"),
    "Charles": ("Charlie", "Chuck"), "Daniel": ("Dan", "Danny"), "Matthew": ("Matt",),
    "Anthony": ("Tony",), "Donald": ("Don", "Donnie"), "Steven": ("Steve",),
    "Andrew": ("Andy", "Drew"), "Joshua": ("Josh",), "Kenneth": ("Ken", "Kenny"),
    "Timothy": ("Tim", "Timmy"), "Ronald": ("Ron", "Ronnie"), "Edward": ("Ed", "Eddie", "Ted"),
    "Jeffrey": ("Jeff",), "Jacob": ("Jake",), "Nicholas": ("Nick", "Nicky"),
    "Jonathan": ("Jon",), "Stephen": ("Steve",), "Lawrence": ("Larry",), "Samuel": ("Sam", "Sammy"),
    "Benjamin": ("Ben", "Benny"), "Gregory": ("Greg",), "Alexander": ("Alex", "Xander"),
    "Patrick": ("Pat",), "Raymond": ("Ray",), "Gerald": ("Jerry",), "Zachary": ("Zach",),
    "Douglas": ("Doug",), "Peter": ("Pete",), "Nathan": ("Nate",), "Henry": ("Hank",),
    "Walter": ("Walt",), "Harold": ("Harry", "Hal"), "Arthur": ("Art",), "Albert": ("Al", "Bert"),
    "Bradley": ("Brad",), "Philip": ("Phil",), "Eugene": ("Gene",), "Russell": ("Russ",),
    "Vincent": ("Vince", "Vinny"), "Frank": ("Frankie",), "Terrell": ("Terry",),
    "Elizabeth": ("Liz", "Beth", "Betsy", "Eliza", "Lizzie"), "Margaret": ("Peggy", "Maggie", "Meg"),
    "Patricia": ("Pat", "Patty", "Trish"), "Jennifer": ("Jen", "Jenny"), "Barbara": ("Barb",),
    "Susan": ("Sue", "Susie"), "Jessica": ("Jess", "Jessie"), "Katherine": ("Kate", "Kathy", "Katie"),
    "Kathleen": ("Kathy", "Kate"), "Catherine": ("Cathy", "Cat"), "Kimberly": ("Kim",),
    "Deborah": ("Deb", "Debbie"), "Debra": ("Deb", "Debbie"), "Rebecca": ("Becky", "Becca"),
    "Stephanie": ("Steph",), "Christine": ("Chris", "Chrissy"), "Christina": ("Tina", "Chris"),
    "Samantha": ("Sam", "Sammy"), "Victoria": ("Vicky", "Tori"), "Jacqueline": ("Jackie",),
    "Abigail": ("Abby",), "Dorothy": ("Dot", "Dottie"), "Cynthia": ("Cindy",),
    "Pamela": ("Pam",), "Sandra": ("Sandy",), "Judith": ("Judy",), "Frances": ("Fran",),
    "Theresa": ("Terri", "Tess"), "Teresa": ("Terri", "Tess"), "Alexis": ("Lexi",),
    "Danielle": ("Dani",), "Isabella": ("Bella", "Izzy"), "Amanda": ("Mandy",),
    "Melissa": ("Missy", "Mel"), "Natalie": ("Nat",), "Virginia": ("Ginny",),
    "Madison": ("Maddie",), "Andrea": ("Andi",), "Valeria": ("Vale",), "Guadalupe": ("Lupe",),
}

ORG_WORDS: tuple[str, ...] = (
    "Hope", "Harbor", "Bridge", "Beacon", "Haven", "Pathways", "Open Door", "Family Promise",
    "Unity", "New Start", "Compass", "Lighthouse", "Cornerstone", "Safe Harbor", "Common Ground",
    "Journey Home", "Main Street", "Riverside", "Northside", "Valley", "Catholic Charities",
    "Salvation Army", "Volunteers of America", "YWCA", "Veterans Outreach", "Youth Services",
)
ORG_SUFFIX: tuple[str, ...] = (
    "Services", "Alliance", "Center", "Inc.", "Ministries", "Network", "Coalition", "Partners",
)
STREETS: tuple[str, ...] = (
    "Main St", "Oak Ave", "Elm St", "Washington Blvd", "Maple Ave", "Park Rd", "Pine St",
    "Cedar Ln", "Lincoln Ave", "Market St", "Church St", "Broadway", "River Rd", "Mill St",
)
CITIES: tuple[str, ...] = ("Springfield", "Fairview", "Riverton", "Greenville", "Franklin", "Clinton")
