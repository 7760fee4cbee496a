"""Word lists the data generator draws from, so that generated CRM records read like real ones."""

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Ava", "Elijah", "Sophia", "Lucas", "Mia", "Mateo",
    "Isabella", "Levi", "Charlotte", "Ethan", "Harper", "James", "Evelyn", "Aiden", "Zoe", "Hiroshi", "Priya",
    "Chen", "Fatima", "Jose", "Ingrid", "Kwame", "Aroha", "Siobhan", "Dmitri", "Lucia", "Omar", "Yuki",
    "Anika", "Rafael", "Maeve", "Tariq", "Elena", "Björn", "Chloé", "Zoë", "Nadia", "Samuel", "Grace",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White",
    "Nguyen", "Patel", "Kim", "O'Brien", "Müller", "Rossi", "Kowalski", "Novak", "Haddad", "Okafor",
    "Tanaka", "Silva", "Dubois", "Jensen", "Ivanova", "Ngata", "MacLeod", "van der Berg", "Costa", "Khan",
)
SALUTATIONS = ("Mr", "Ms", "Mrs", "Dr", "Prof", "Mx")
JOB_TITLES = (
    "Chief Executive Officer", "Head of Sales", "Account Manager", "Operations Director", "Procurement Lead",
    "Marketing Manager", "Office Manager", "Software Engineer", "Finance Controller", "Owner",
    "VP Customer Success", "Purchasing Agent", "IT Administrator", "Project Coordinator",
)
COMPANY_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Wonka", "Tyrell",
    "Northwind", "Contoso", "Fabrikam", "Blue Harbor", "Silverline", "Redwood", "Summit", "Pioneer", "Evergreen",
    "Keystone", "Bright Path", "Ironclad", "Lumen", "Cedar & Pine", "Orbit", "Harbor Point", "Golden Gate",
)
COMPANY_SUFFIXES = ("Ltd", "Inc", "LLC", "GmbH", "Pty Ltd", "Group", "Holdings", "Partners", "& Co", "SA")
INDUSTRIES = ("Software", "Manufacturing", "Retail", "Healthcare", "Finance", "Education", "Logistics",
              "Hospitality", "Construction", "Energy", "Media", "Agriculture")
STREETS = ("Main St", "High Street", "Queen St", "Market St", "Elm Avenue", "Oak Road", "Harbour Drive",
           "King William St", "Rue de Rivoli", "Bahnhofstrasse", "George St", "Collins St", "Mission St")
CITIES = (
    ("San Francisco", "CA", "94105", "United States"), ("New York", "NY", "10001", "United States"),
    ("Austin", "TX", "73301", "United States"), ("London", "", "EC1A 1BB", "United Kingdom"),
    ("Manchester", "", "M1 1AE", "United Kingdom"), ("Sydney", "NSW", "2000", "Australia"),
    ("Melbourne", "VIC", "3000", "Australia"), ("Auckland", "", "1010", "New Zealand"),
    ("Toronto", "ON", "M5H 2N2", "Canada"), ("Berlin", "", "10115", "Germany"),
    ("Paris", "", "75001", "France"), ("Dublin", "", "D02 XY45", "Ireland"),
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com", "corp.example")
WORDS = (
    "quarterly", "review", "pricing", "renewal", "onboarding", "proposal", "contract", "integration",
    "follow-up", "demo", "support", "training", "migration", "budget", "rollout", "workshop", "kickoff",
    "feedback", "invoice", "shipment", "upgrade", "licence", "meeting", "strategy", "pilot", "audit",
)
SENTENCES = (
    "Met at the trade show; interested in the enterprise tier.",
    "Prefers email over phone. Decision expected next quarter.",
    "Long-standing customer, renewal handled by the regional team.",
    "Asked for a detailed quote including training and support.",
    "Referred by a partner. Evaluating two competitors.",
    "Budget approved; waiting for procurement sign-off.",
    "Needs an integration with their ERP before rollout.",
    "Follow up after the summer holidays — café meeting in Zürich went well.",
    "Café au lait at 10:00, then a walkthrough of the <b>new</b> dashboard.",
    "Key contact changed roles; new stakeholder to be introduced.",
)
TAGS = ("VIP", "Newsletter", "Partner", "Prospect", "Customer", "Churn Risk", "Upsell", "Trade Show 2024",
        "Referral", "Key Account", "Paris", "Support Plan")
CURRENCIES = (("USD", "$"), ("EUR", "€"), ("GBP", "£"), ("AUD", "A$"), ("NZD", "NZ$"), ("CAD", "C$"),
              ("JPY", "¥"), ("CHF", "CHF"), ("SGD", "S$"), ("INR", "₹"))
COUNTRIES = ("Australia", "Austria", "Belgium", "Brazil", "Canada", "China", "Denmark", "Finland", "France",
             "Germany", "India", "Ireland", "Italy", "Japan", "Mexico", "Netherlands", "New Zealand", "Norway",
             "Singapore", "South Africa", "Spain", "Sweden", "Switzerland", "United Kingdom", "United States")
TIMEZONES = ("Pacific Standard Time", "Eastern Standard Time", "GMT Standard Time",
             "AUS Eastern Standard Time", "Central European Standard Time")
PRODUCTS = ("Widget", "Gadget", "Sprocket", "Flux Capacitor", "Service Hours", "Support Plan", "Licence Seat",
            "Installation", "Sensor Kit", "Gateway")
